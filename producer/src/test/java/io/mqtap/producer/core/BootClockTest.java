package io.mqtap.producer.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

class BootClockTest {
    @Test
    void aBootTimeReadNowMapsToTheWallClockNow() {
        BootClock clock = new BootClock();
        long before = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        long micros = clock.toEpochMicros(clock.nowBootNs());
        long after = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        assertThat(micros).isBetween(before - 1_000, after + 1_000); // 1 ms: the offset's own reading error
    }

    @Test
    void bootTimesMapInOrderAndToScale() {
        BootClock clock = new BootClock();
        long boot = clock.nowBootNs();
        assertThat(clock.toEpochMicros(boot + 5_000_000_000L) - clock.toEpochMicros(boot)).isEqualTo(5_000_000L);
    }
}
