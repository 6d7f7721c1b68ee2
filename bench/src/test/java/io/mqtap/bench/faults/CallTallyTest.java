package io.mqtap.bench.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CallTallyTest {
    private static final String G = "mqtap-fault-1a2b-spool-full";

    @Test
    void countsEachCallOnceByItsDedupKeyAndFindsTheMissingRanges() {
        Map<String, Long> calls = new LinkedHashMap<>();
        calls.put(G, 10L);
        calls.put(G + "-b", 3L);
        CallTally t = new CallTally(calls);
        t.add("m", "run1", 0, "/" + G + "-0");
        t.add("m", "run1", 1, G + "-1");
        t.add("m", "run1", 1, G + "-1"); // resent after a lost acknowledgement: a copy
        t.add("m", "run2", 0, G + "-1"); // the same call under a new key: read twice
        t.add("m", "run1", 2, G + "-5");
        t.add("m", "run1", 3, G + "-9");
        t.add("m", "run1", 4, G + "-10"); // the generator made 10 calls: not one of them
        t.add("m", "run1", 5, "someone-else-3");
        t.add("m", "run1", 6, G + "-b-2");

        assertThat(t.records()).isEqualTo(7);
        assertThat(t.copies()).isEqualTo(1);
        assertThat(t.rereads()).isEqualTo(1);
        assertThat(t.unknown()).isEqualTo(2);
        assertThat(t.found(G)).isEqualTo(4);
        assertThat(t.found(G + "-b")).isEqualTo(1);
        assertThat(t.unique()).isEqualTo(5);
        // G misses 2-4 and 6-8; G-b misses 0-1
        assertThat(t.missingRanges()).isEqualTo(3);
    }

    @Test
    void aGeneratorWithNoRecordIsOneMissingRangeAndNoneWhenAllArrive() {
        CallTally none = new CallTally(Map.of(G, 4L));
        assertThat(none.unique()).isZero();
        assertThat(none.missingRanges()).isEqualTo(1);

        CallTally all = new CallTally(Map.of(G, 2L));
        all.add("m", "r", 0, G + "-0");
        all.add("m", "r", 1, G + "-1");
        assertThat(all.unique()).isEqualTo(2);
        assertThat(all.missingRanges()).isZero();
    }
}
