package io.mqtap.producer.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RingPositionsTest {
    private static final String RUN = "6f1c2a9e-0d7b-4f7e-9a51-3c2b1d0e9f88";

    @Test
    void theNextRunResumesAfterTheBatchOfTheLastSpooledRecord(@TempDir Path dir) throws Exception {
        try (RingPositions p = RingPositions.open(dir)) {
            p.begin(42, RUN);
            p.record(99, 8_000);   // records 0..99 ended at ring position 8,000
            p.record(99, 8_400);   // a batch of unreadable records only: the same last sequence, further on
            p.record(199, 16_000);
            p.record(299, 24_000);
        }
        // a new process (after a SIGKILL) reads what the killed one wrote through its mapping
        try (RingPositions p = RingPositions.open(dir)) {
            assertThat(p.after(42, RUN, 199)).isEqualTo(16_000);
            assertThat(p.after(42, RUN, 99)).as("past the unreadable batch too").isEqualTo(8_400);
            assertThat(p.after(42, RUN, 250)).as("a batch spooled in part: from its start (read again)").isEqualTo(16_000);
            assertThat(p.after(42, RUN, 50)).as("nothing whole spooled").isEqualTo(-1);
            assertThat(p.after(7, RUN, 199)).as("another ring").isEqualTo(-1);
            assertThat(p.after(42, "another-run", 199)).as("another run").isEqualTo(-1);
            p.begin(42, "next-run");
            assertThat(p.after(42, RUN, 199)).as("begun afresh for the next run").isEqualTo(-1);
        }
    }

    @Test
    void onlyTheLast4096BatchesAreKept(@TempDir Path dir) throws Exception {
        try (RingPositions p = RingPositions.open(dir)) {
            p.begin(1, RUN);
            for (long i = 0; i < 5000; i++) p.record(i, (i + 1) * 64);
            assertThat(p.after(1, RUN, 4999)).isEqualTo(5000 * 64);
            assertThat(p.after(1, RUN, 1000)).isEqualTo(1001 * 64);
            assertThat(p.after(1, RUN, 500)).as("overwritten").isEqualTo(-1);
        }
    }
}
