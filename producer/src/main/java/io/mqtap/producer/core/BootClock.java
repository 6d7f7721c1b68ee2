package io.mqtap.producer.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Converts the kernel's boot-time clock (CLOCK_BOOTTIME, what the probe stamps events with) to wall-clock
 * time and back to "now". Java has no CLOCK_BOOTTIME, but System.nanoTime() is CLOCK_MONOTONIC, which
 * differs from it only by time spent suspended: that difference is read once from /proc/uptime (10 ms
 * resolution) and kept only when it is larger than the reading's own error.
 */
public final class BootClock {
    private static final long SUSPEND_NOISE_NS = 50_000_000L;

    private final long suspendedNs;
    private volatile long wallMinusMonoNs;

    public BootClock() {
        this.suspendedNs = measureSuspended();
        resync();
    }

    /** Re-reads the wall clock's offset, so NTP steps are followed (called periodically). */
    public void resync() {
        long wall = System.currentTimeMillis() * 1_000_000L;
        wallMinusMonoNs = wall - System.nanoTime();
    }

    /** Nanoseconds since boot, now, on the clock the probe uses. */
    public long nowBootNs() {
        return System.nanoTime() + suspendedNs;
    }

    /** Microseconds since the Unix epoch for a boot-time timestamp. */
    public long toEpochMicros(long bootNs) {
        return (bootNs - suspendedNs + wallMinusMonoNs) / 1000L;
    }

    private static long measureSuspended() {
        try {
            long mono = System.nanoTime();
            String up = Files.readString(Path.of("/proc/uptime")).trim().split("\\s+")[0];
            long bootNs = (long) (Double.parseDouble(up) * 1e9);
            long diff = bootNs - mono;
            return Math.abs(diff) > SUSPEND_NOISE_NS ? diff : 0L;
        } catch (IOException | RuntimeException e) {
            return 0L;
        }
    }
}
