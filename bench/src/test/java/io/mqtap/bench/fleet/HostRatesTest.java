package io.mqtap.bench.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HostRatesTest {
    @Test
    void theFleetHasItsShape() {
        HostRates r = HostRates.FLEET;
        int n = 10_000;
        long idle = IntStream.range(0, n).filter(i -> r.rate(1, i, 0) == 0.2).count();
        long bursting = IntStream.range(0, n).filter(i -> IntStream.range(0, 30).anyMatch(s -> r.rate(1, i, s) == 1_000)).count();
        assertThat(idle).as("idle hosts of 10,000").isBetween(5_700L, 6_300L);
        assertThat(bursting).as("bursting hosts of 10,000").isBetween(150L, 250L);
        double measured = IntStream.range(0, n).mapToDouble(i -> IntStream.range(0, 30).mapToDouble(s -> r.rate(1, i, s)).sum() / 30).sum();
        assertThat(measured).as("the fleet's average rate").isCloseTo(r.fleetAverage(n), org.assertj.core.data.Percentage.withPercentage(10));
    }

    @Test
    void aBursterBurstsForItsSecondsInEachPeriod() {
        HostRates r = HostRates.FLEET;
        int burster = IntStream.range(0, 10_000).filter(i -> IntStream.range(0, 30).anyMatch(s -> r.rate(1, i, s) == 1_000))
                .findFirst().orElseThrow();
        assertThat(IntStream.range(0, 30).filter(s -> r.rate(1, burster, s) == 1_000).count()).isEqualTo(2);
    }
}
