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
}
