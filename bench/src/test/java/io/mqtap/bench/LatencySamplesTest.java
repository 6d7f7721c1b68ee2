package io.mqtap.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencySamplesTest {
    @Test
    void quantilesAreNearestRankOverTheValuesInAnyOrder() {
        LatencySamples s = new LatencySamples();
        for (long v = 100; v >= 1; v--) s.add(v); // 1..100, added backwards
        assertThat(s.count()).isEqualTo(100);
        assertThat(s.quantile(0.50)).isEqualTo(50);
        assertThat(s.quantile(0.99)).as("p99 of 1..100: the 99th value, not the largest").isEqualTo(99);
        assertThat(s.quantile(0.07)).as("0.07 * 100 is 7.000000000000001 in doubles").isEqualTo(7);
        assertThat(s.quantile(0.0)).isEqualTo(1);
        assertThat(s.max()).isEqualTo(100);
    }

    @Test
    void oneSlowRecordInAHundredIsTheMaxButNotTheP99() {
        LatencySamples s = new LatencySamples();
        for (int i = 0; i < 99; i++) s.add(12);
        s.add(1_500);
        assertThat(s.quantile(0.99)).isEqualTo(12);
        assertThat(s.max()).isEqualTo(1_500);
        s.add(1_400); // two in 101: the p99's rank (100) is now one of them
        assertThat(s.quantile(0.99)).isEqualTo(1_400);
    }

    @Test
    void growsPastItsFirstArrayAndSaysMinusOneWhenEmpty() {
        LatencySamples s = new LatencySamples();
        assertThat(s.quantile(0.5)).isEqualTo(-1);
        assertThat(s.max()).isEqualTo(-1);
        for (int i = 0; i < 10_000; i++) s.add(i);
        assertThat(s.count()).isEqualTo(10_000);
        assertThat(s.quantile(0.5)).isEqualTo(4_999);
        assertThat(s.max()).isEqualTo(9_999);
        assertThat(LatencySamples.quantile(new long[] {5, 3, 9, 1}, 3, 1.0)).as("only the first n values count").isEqualTo(9);
        assertThat(LatencySamples.quantile(new long[] {5, 3, 9, 1}, 2, 1.0)).isEqualTo(5);
    }
}
