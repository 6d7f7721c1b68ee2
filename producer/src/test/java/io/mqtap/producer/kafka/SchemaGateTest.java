package io.mqtap.producer.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaGateTest {
    /** Fails {@code failures} times, then registers; returns the waits the gate asked for. */
    private static List<Long> backoffs(long maxBackoffMillis, int failures) throws InterruptedException {
        List<Long> waits = new ArrayList<>();
        int[] attempts = {0};
        SchemaGate gate = new SchemaGate(() -> {
            if (attempts[0]++ < failures) throw new IllegalStateException("registry away");
        }, maxBackoffMillis, waits::add);
        assertThat(gate.await(() -> false)).isTrue();
        assertThat(gate.registered()).isTrue();
        assertThat(gate.problem()).isNull();
        assertThat(attempts[0]).isEqualTo(failures + 1);
        return waits;
    }

    @Test
    void backoffDoublesFrom100MillisUpToTheMaximum() throws Exception {
        assertThat(backoffs(1_000, 6)).containsExactly(100L, 200L, 400L, 800L, 1_000L, 1_000L);
    }

    @Test
    void aMaximumBelow100MillisHoldsFromTheFirstWait() throws Exception {
        assertThat(backoffs(10, 3)).containsExactly(10L, 10L, 10L);
    }

    @Test
    void givingUpReturnsFalseAndKeepsTheProblem() throws Exception {
        SchemaGate gate = new SchemaGate(() -> {
            throw new IllegalStateException("registry away");
        }, 10, ms -> {});
        assertThat(gate.await(() -> true)).isFalse();
        assertThat(gate.registered()).isFalse();
        assertThat(gate.problem()).isEqualTo("registry away");
    }

    @Test
    void theStartDelayIsWaitedInShortStepsBeforeTheFirstAttempt() throws Exception {
        List<Long> waits = new ArrayList<>();
        int[] attemptsDuringWait = {0};
        SchemaGate gate = new SchemaGate(() -> attemptsDuringWait[0] += waits.stream().mapToLong(Long::longValue).sum() < 250 ? 1 : 0,
                1_000, () -> 250, waits::add);
        assertThat(gate.await(() -> false)).isTrue();
        assertThat(waits).containsExactly(100L, 100L, 50L);
        assertThat(attemptsDuringWait[0]).as("no attempt before the delay was waited").isZero();
    }

    @Test
    void aStopDuringTheStartDelayEndsTheWait() throws Exception {
        List<Long> waits = new ArrayList<>();
        SchemaGate gate = new SchemaGate(() -> { }, 1_000, () -> 60_000, waits::add);
        assertThat(gate.await(() -> waits.size() >= 3)).isFalse();
        assertThat(waits).hasSize(3);
        assertThat(gate.registered()).isFalse();
        assertThat(gate.problem()).contains("schemaRegistry.startJitter");
    }
}
