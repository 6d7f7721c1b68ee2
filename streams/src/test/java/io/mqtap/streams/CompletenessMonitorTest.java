package io.mqtap.streams;

import static io.mqtap.streams.Events.HOST_A;
import static io.mqtap.streams.Events.HOST_B;
import static io.mqtap.streams.Events.RUN;
import static io.mqtap.streams.Events.T0;
import static io.mqtap.streams.Events.open;
import static io.mqtap.streams.Events.stats;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpenStats;
import io.mqtap.streams.avro.CompletenessKind;
import io.mqtap.streams.avro.MqOpenCompleteness;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("registry")
class CompletenessMonitorTest {
    @TempDir Path stateDir;

    @Test
    void gapsAreReportedAtOnceAndReconciledWithStats() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of())) {
            for (long seq : new long[] {0, 1, 2, 5, 6}) {
                f.pipe(open(HOST_A, "app", T0.plusMillis(seq)).setSequence(seq).build());
            }
            List<MqOpenCompleteness> gap = f.completeness.readValuesToList();
            assertThat(gap).singleElement().satisfies(r -> {
                assertThat(r.getKind()).isEqualTo(CompletenessKind.GAP);
                assertThat(r.getMachineId()).isEqualTo(HOST_A);
                assertThat(r.getRunId()).isEqualTo(RUN);
                assertThat(r.getFromSequence()).isEqualTo(3L);
                assertThat(r.getToSequence()).isEqualTo(4L);
                assertThat(r.getMissing()).isEqualTo(2L);
                assertThat(r.getComplete()).isFalse();
            });

            // 3 arrives late (closes part of the gap), 2 arrives twice (a duplicate)
            f.pipe(open(HOST_A, "app", T0.plusMillis(7)).setSequence(3).build());
            f.pipe(open(HOST_A, "app", T0.plusMillis(8)).setSequence(2).build());
            f.stats.pipeInput(HOST_A, stats(HOST_A, RUN, T0.plusSeconds(10), 8, 7));
            assertThat(f.completeness.readKeyValuesToList()).singleElement().satisfies(kv -> {
                assertThat(kv.key).isEqualTo(HOST_A);
                MqOpenCompleteness r = kv.value;
                assertThat(r.getKind()).isEqualTo(CompletenessKind.RECONCILIATION);
                assertThat(r.getSeen()).isEqualTo(6L);
                assertThat(r.getMissing()).isEqualTo(1L); // sequence 4
                assertThat(r.getHighestSeen()).isEqualTo(6L);
                assertThat(r.getDuplicates()).isEqualTo(1L);
                assertThat(r.getProducerSequence()).isEqualTo(8L);
                assertThat(r.getNotYetSeen()).isEqualTo(2L);
                assertThat(r.getPublished()).isEqualTo(7L);
                assertThat(r.getComplete()).isFalse();
            });
        }
    }

    @Test
    void aRunNothingWasHeardOfForTheRetentionIsForgottenAndItsLateRecordOpensNoFalseGap() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of("mqtap.completeness.run-retention", "PT1H"))) {
            String old = "44444444-4444-4444-8444-444444444444";
            for (long seq = 0; seq < 3; seq++) {
                f.pipe(open(HOST_A, "app", T0.plusMillis(seq)).setRunId(old).setSequence(seq).build());
            }
            org.apache.kafka.streams.state.KeyValueStore<String, io.mqtap.streams.avro.internal.RunProgress> store =
                    f.driver.getKeyValueStore(CompletenessMonitor.STORE);
            assertThat(store.get(HOST_A + "/" + old)).as("the run, tracked").isNotNull();
            // the host's next run, two hours of event time later: stream time passes the old run's retention
            f.pipe(open(HOST_A, "app", T0.plus(java.time.Duration.ofHours(2))).setSequence(0).build());
            assertThat(store.get(HOST_A + "/" + old)).as("forgotten after an hour without a record").isNull();
            assertThat(store.get(HOST_A + "/" + RUN)).as("the live run stays").isNotNull();
            // late records of the forgotten run (a spool sent late): tracked from the first one, no GAP for 0..6
            f.pipe(open(HOST_A, "app", T0.plusMillis(10)).setRunId(old).setSequence(7).build());
            f.pipe(open(HOST_A, "app", T0.plusMillis(11)).setRunId(old).setSequence(9).build());
            assertThat(f.completeness.readValuesToList()).as("only the real gap among the late records").singleElement()
                    .satisfies(r -> {
                        assertThat(r.getKind()).isEqualTo(CompletenessKind.GAP);
                        assertThat(r.getRunId()).isEqualTo(old);
                        assertThat(r.getFromSequence()).isEqualTo(8L);
                        assertThat(r.getToSequence()).isEqualTo(8L);
                    });
        }
    }

    @Test
    void aRunWithEverythingSeenIsComplete() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of())) {
            String run = "33333333-3333-4333-8333-333333333333";
            for (long seq = 0; seq < 4; seq++) {
                f.pipe(open(HOST_B, "app", T0.plusMillis(seq)).setRunId(run).setSequence(seq).build());
            }
            // another run on the same host does not mix in
            f.pipe(open(HOST_B, "app", T0.plusMillis(9)).setSequence(0).build());
            f.stats.pipeInput("any-key", stats(HOST_B, run, T0.plusSeconds(10), 3, 4));
            assertThat(f.completeness.readValuesToList()).singleElement().satisfies(r -> {
                assertThat(r.getKind()).isEqualTo(CompletenessKind.RECONCILIATION);
                assertThat(r.getRunId()).isEqualTo(run);
                assertThat(r.getSeen()).isEqualTo(4L);
                assertThat(r.getMissing()).isZero();
                assertThat(r.getNotYetSeen()).isZero();
                assertThat(r.getComplete()).isTrue();
            });
        }
    }

    @Test
    void aRunThatStartsLateIsMissingItsBeginningAndLossCountersMakeItIncomplete() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of("mqtap.completeness.max-gaps", "2"))) {
            f.pipe(open(HOST_A, "app", T0).setSequence(3).build());
            f.pipe(open(HOST_A, "app", T0.plusMillis(1)).setSequence(5).build());
            f.pipe(open(HOST_A, "app", T0.plusMillis(2)).setSequence(7).build());
            f.pipe(open(HOST_A, "app", T0.plusMillis(3)).setSequence(9).build()); // 4th gap: the oldest is given up
            f.pipe(open(HOST_A, "app", T0.plusMillis(4)).setSequence(0).build()); // in the given-up gap: a duplicate now
            var st = stats(HOST_A, RUN, T0.plusSeconds(10), 9, 4);
            st.setDropped(1);
            f.stats.pipeInput(HOST_A, st);
            List<MqOpenCompleteness> out = f.completeness.readValuesToList();
            assertThat(out).extracting(MqOpenCompleteness::getKind).containsExactly(
                    CompletenessKind.GAP, CompletenessKind.GAP, CompletenessKind.GAP, CompletenessKind.GAP,
                    CompletenessKind.RECONCILIATION);
            assertThat(out.get(0).getFromSequence()).isEqualTo(0L);
            assertThat(out.get(0).getToSequence()).isEqualTo(2L);
            MqOpenCompleteness r = out.get(4);
            assertThat(r.getMissing()).isEqualTo(3 + 1 + 1 + 1);
            assertThat(r.getDuplicates()).isEqualTo(1L);
            assertThat(r.getDropped()).isEqualTo(1L);
            assertThat(r.getComplete()).isFalse();
        }
    }

    /** A version-7 stats record: every way of kernel-side loss apart; any of them makes the run incomplete. */
    @Test
    void everyWayOfKernelLossMakesARunIncomplete() throws Exception {
        for (String way : java.util.List.of("output", "entryDropped", "entrySkipped", "exitMissed", "unexamined", "callMisses", "unreadable")) {
            try (TopologyFixture f = new TopologyFixture(stateDir.resolve(way), Map.of())) {
                for (long seq = 0; seq < 3; seq++) f.pipe(open(HOST_A, "app", T0.plusMillis(seq)).setSequence(seq).build());
                MqOpenStats clean = v3(stats(HOST_A, RUN, T0.plusSeconds(10), 2, 3), null);
                MqOpenStats lossy = v3(stats(HOST_A, RUN, T0.plusSeconds(20), 2, 3), way);
                f.stats.pipeInput(HOST_A, clean);
                f.stats.pipeInput(HOST_A, lossy);
                List<MqOpenCompleteness> out = f.completeness.readValuesToList();
                assertThat(out).hasSize(2);
                assertThat(out.get(0).getComplete()).as("nothing lost yet").isTrue();
                assertThat(out.get(0).getKernelLosses()).containsOnlyKeys("output", "entryDropped", "entrySkipped",
                        "exitMissed", "unexamined", "callMisses", "unreadable").allSatisfy((k, v) -> assertThat(v).isZero());
                assertThat(out.get(1).getComplete()).as(way + " lost one").isFalse();
                assertThat(out.get(1).getKernelLosses()).containsEntry(way, 1L);
                assertThat(out.get(1).getLostKernel()).isEqualTo(1L);
            }
        }
    }

    /** The stats record a version-7 producer sends, with one loss of the named way (null: none). */
    private static MqOpenStats v3(MqOpenStats s, String lostWay) {
        s.setLostOutput("output".equals(lostWay) ? 1L : 0L);
        s.setLostEntryDropped("entryDropped".equals(lostWay) ? 1L : 0L);
        s.setLostEntrySkipped("entrySkipped".equals(lostWay) ? 1L : 0L);
        s.setLostExitMissed("exitMissed".equals(lostWay) ? 1L : 0L);
        s.setLostUnexamined("unexamined".equals(lostWay) ? 1L : 0L);
        s.setLostCallMisses("callMisses".equals(lostWay) ? 1L : 0L);
        s.setLostUnreadable("unreadable".equals(lostWay) ? 1L : 0L);
        s.setLostKernel(lostWay == null ? 0 : 1);
        return s;
    }
}
