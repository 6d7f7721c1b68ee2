package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KernelClockTest {
    private static final long UPTIME_RESOLUTION_NS = 10_000_000L; // /proc/uptime has two decimals

    @Test
    void readsTheSameClockAsProcUptime() throws Exception {
        long before = KernelClock.bootTimeNanos();
        String uptime = Files.readString(Path.of("/proc/uptime")).trim().split("\\s+")[0];
        long after = KernelClock.bootTimeNanos();
        long uptimeNs = new BigDecimal(uptime).movePointRight(9).longValueExact();
        assertThat(uptimeNs).isBetween(before - UPTIME_RESOLUTION_NS, after);
    }

    @Test
    void isNeverBehindTheMonotonicClock() {
        // System.nanoTime() is CLOCK_MONOTONIC: the same clock less the time spent suspended
        long mono = System.nanoTime();
        long boot = KernelClock.bootTimeNanos();
        assertThat(boot).isGreaterThanOrEqualTo(mono);
        assertThat(KernelClock.bootTimeNanos()).isGreaterThanOrEqualTo(boot);
    }
}
