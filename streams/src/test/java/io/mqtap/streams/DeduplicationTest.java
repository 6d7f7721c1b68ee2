package io.mqtap.streams;

import static io.mqtap.streams.Events.HOST_A;
import static io.mqtap.streams.Events.RUN;
import static io.mqtap.streams.Events.T0;
import static io.mqtap.streams.Events.open;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.streams.avro.CompletenessKind;
import io.mqtap.streams.avro.MqOpenAlertType;
import io.mqtap.streams.avro.MqOpenCompleteness;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A record delivered twice (same machineId, runId, sequence) is counted and alerted on once, and shows as one duplicate. */
class DeduplicationTest {
    @TempDir Path stateDir;

    @Test
    void aRecordSentTwiceCountsOnceAlertsOnceAndIsReportedAsADuplicate() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of())) {
            MqOpen first = Events.created(open(HOST_A, "app", T0.plusSeconds(1)), 0666).setSequence(0).build();
            MqOpen second = open(HOST_A, "app", T0.plusSeconds(2)).setSequence(1).build();
            f.pipe(first);
            f.pipe(second);
            // the producer resent both after a lost acknowledgement: same keys, same event times
            f.pipe(MqOpen.newBuilder(first).build());
            f.pipe(MqOpen.newBuilder(second).build());
            f.pipe(open(HOST_A, "app", T0.plusSeconds(3)).setSequence(2).build());

            assertThat(f.alerts.readValuesToList()).extracting(a -> a.getType())
                    .containsExactly(MqOpenAlertType.WORLD_WRITABLE_CREATE);

            f.stats.pipeInput(HOST_A, Events.stats(HOST_A, RUN, T0.plusSeconds(4), 2, 3));
            List<MqOpenCompleteness> c = f.completeness.readValuesToList();
            MqOpenCompleteness r = c.get(c.size() - 1);
            assertThat(r.getKind()).isEqualTo(CompletenessKind.RECONCILIATION);
            assertThat(r.getSeen()).isEqualTo(3);
            assertThat(r.getDuplicates()).isEqualTo(2);
            assertThat(r.getMissing()).isZero();
            assertThat(r.getComplete()).isTrue();

            // stream time past the minute and its grace: the minute closes with each call counted once
            f.pipe(open(HOST_A, "tick", T0.plusSeconds(80)).build());
            assertThat(f.counts.readValuesToList()).singleElement().satisfies(m -> assertThat(m.getTotal()).isEqualTo(3));
        }
    }

    @Test
    void aCopyResentAfterALongOutageIsPassedOverWithinTheConfiguredWindowOnly() throws Exception {
        // a producer down for half an hour resends its spool: the copy's event time is the original's, the host's
        // stream has moved on by the newer records of other runs
        for (String window : List.of("PT10M", "PT1H")) {
            try (TopologyFixture f = new TopologyFixture(stateDir.resolve(window), Map.of("mqtap.dedup.window", window))) {
                MqOpen original = Events.created(open(HOST_A, "app", T0), 0666).setSequence(0).build();
                f.pipe(original);
                f.pipe(open(HOST_A, "later", T0.plusSeconds(30 * 60)).setRunId("11111111-1111-4111-8111-000000000002")
                        .setSequence(0).build());
                f.pipe(MqOpen.newBuilder(original).build());
                long alerts = f.alerts.readValuesToList().stream().filter(a -> a.getType() == MqOpenAlertType.WORLD_WRITABLE_CREATE).count();
                assertThat(alerts).as("alerts on the world-writable create with a %s window", window).isEqualTo(window.equals("PT1H") ? 1 : 2);
            }
        }
    }
}
