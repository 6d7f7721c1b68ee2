package io.mqtap.capture;

/** The kernel's CLOCK_BOOTTIME, which the probe stamps events with; Java itself has no way to read it. */
public final class KernelClock {
    private KernelClock() {}

    /** Nanoseconds since boot, time spent suspended included. */
    public static long bootTimeNanos() {
        long ns = NativeProbe.bootTimeNanos();
        if (ns < 0) throw new IllegalStateException("clock_gettime(CLOCK_BOOTTIME) failed: errno " + Errnos.name((int) -ns));
        return ns;
    }
}
