package io.mqtap.producer.core;

import io.mqtap.capture.KernelClock;
import java.time.Instant;

/**
 * Converts the kernel's boot-time clock (CLOCK_BOOTTIME, what the probe stamps events with) to wall-clock
 * time. Both clocks run on through a suspend, so their offset holds across one; it is re-read periodically
 * so NTP steps of the wall clock are followed.
 */
public final class BootClock {
    private volatile long wallMinusBootNs;

    public BootClock() {
        resync();
    }

    /** Re-reads the wall clock's offset from the boot clock (called periodically). */
    public void resync() {
        long before = KernelClock.bootTimeNanos();
        Instant wall = Instant.now();
        long after = KernelClock.bootTimeNanos();
        // the wall reading sits between the two boot readings: take their midpoint
        wallMinusBootNs = wall.getEpochSecond() * 1_000_000_000L + wall.getNano() - (before + (after - before) / 2);
    }

    /** Nanoseconds since boot, now, on the clock the probe uses. */
    public long nowBootNs() {
        return KernelClock.bootTimeNanos();
    }

    /** Microseconds since the Unix epoch for a boot-time timestamp. */
    public long toEpochMicros(long bootNs) {
        return (bootNs + wallMinusBootNs) / 1000L;
    }
}
