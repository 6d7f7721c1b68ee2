package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProbeCountersTest {
    /** Slots as ProbeCounters.of reads them: lostKernel, ..., exitWithoutEntry 7, entryDropped 8, exitMissed 10, ... */
    private static ProbeCounters with(int... slotAndValue) {
        long[] v = new long[ProbeCounters.SLOTS];
        v[11] = -1; // programMisses unknown
        for (int i = 0; i < slotAndValue.length; i += 2) v[slotAndValue[i]] = slotAndValue[i + 1];
        return ProbeCounters.of(v);
    }

    @Test
    void lostAtLeastLeavesOutTheKernelsHostWideMissCounts() {
        // output 2, exitWithoutEntry 3, entryDropped 5, exitMissed 7, argsDropped 11; task-exit misses 13, calls misses 17
        ProbeCounters c = with(0, 2, 7, 3, 8, 5, 10, 7, 26, 11, 17, 13, 23, 17);
        assertThat(c.lostAtLeast()).isEqualTo(2 + 3 + 5 + 7 + 11);
        assertThat(c.lostTotal()).isEqualTo(2 + 3 + 5 + 7 + 11 + 13 + 17);
    }

    @Test
    void theyAgreeWhereTheKernelReportedNoMisses() {
        ProbeCounters c = with(0, 4, 7, 1, 10, 9);
        assertThat(c.lostAtLeast()).isEqualTo(c.lostTotal()).isEqualTo(14);
    }

    @Test
    void skippedEntriesBeyondTheExitsThatFoundNoneAreOnlyAnUpperBound() {
        ProbeCounters c = with(7, 2, 14, 6); // exitWithoutEntry 2, missesEnter 6
        assertThat(c.entrySkipped()).isEqualTo(6);
        assertThat(c.lostAtLeast()).isEqualTo(2);
        assertThat(c.lostTotal()).isEqualTo(6);
    }
}
