package io.mqtap.bench.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SteadyLatencyTest {
    /** 2026-12-01T06:00:00Z in epoch µs; the window opens 10 s later. */
    private static final long START_MICROS = 1_796_104_800_000_000L;
    private static final long FROM_MICROS = START_MICROS + 10_000_000L;

    @Test
    void leavesOutEventsMadeInTheWarmUpHoweverLateTheyWereAppended() {
        SteadyLatency s = new SteadyLatency(FROM_MICROS);
        // the cold start: made in the first second, appended 800 ms later, some of it after the window opened
        s.add(START_MICROS + 200_000, (START_MICROS + 200_000) / 1000 + 800);
        s.add(FROM_MICROS - 1, (FROM_MICROS - 1) / 1000 + 800);
        // made in the window: counted, the late one too
        s.add(FROM_MICROS, FROM_MICROS / 1000 + 12);
        s.add(FROM_MICROS + 5_000_000, (FROM_MICROS + 5_000_000) / 1000 + 14);
        s.add(FROM_MICROS + 9_999_000, (FROM_MICROS + 9_999_000) / 1000 + 300);

        assertThat(s.warmupRecords()).isEqualTo(2);
        assertThat(s.records()).isEqualTo(3);
        assertThat(s.quantileMs(0.50)).isEqualTo(14);
        assertThat(s.maxMs()).isEqualTo(300);
    }

    @Test
    void anAppendInTheEventsOwnMillisecondIsZeroNotMinusOne() {
        SteadyLatency s = new SteadyLatency(FROM_MICROS);
        s.add(FROM_MICROS + 999, FROM_MICROS / 1000); // made at .999 of a ms, appended in the same ms
        s.add(FROM_MICROS + 1_999, FROM_MICROS / 1000 + 2); // 1.001 ms later, read to the ms as 1
        assertThat(s.quantileMs(0.0)).isEqualTo(0);
        assertThat(s.maxMs()).isEqualTo(1);
    }

    @Test
    void theP99OfTenThousandRecordsIgnoresTheSlowestOnePercent() {
        SteadyLatency s = new SteadyLatency(FROM_MICROS);
        for (int i = 0; i < 10_000; i++) {
            long made = FROM_MICROS + i * 100L; // 10k/s
            long ms = i % 100 == 0 ? 900 : 10 + i % 7; // one in a hundred stalled
            s.add(made, made / 1000 + ms);
        }
        assertThat(s.records()).isEqualTo(10_000);
        assertThat(s.quantileMs(0.99)).isEqualTo(16);
        assertThat(s.maxMs()).isEqualTo(900);
        assertThat(s.warmupRecords()).isZero();
    }

    @Test
    void aWindowWithNoRecordSaysMinusOneAndIsNotComplete() {
        SteadyLatency s = new SteadyLatency(FROM_MICROS);
        s.add(START_MICROS, START_MICROS / 1000 + 5);
        assertThat(s.records()).isZero();
        assertThat(s.quantileMs(0.99)).isEqualTo(-1);
        assertThat(s.maxMs()).isEqualTo(-1);
        assertThat(s.complete()).isFalse();
    }

    @Test
    void recordsStillOnTheirWayMakeTheFiguresIncomplete() {
        SteadyLatency s = new SteadyLatency(FROM_MICROS);
        s.add(FROM_MICROS, FROM_MICROS / 1000 + 12);
        assertThat(s.complete()).isTrue();
        s.notInKafka(3); // the slowest, whose latency the read-back never saw
        assertThat(s.complete()).isFalse();
        assertThat(s.notInKafka()).isEqualTo(3);
    }
}
