package io.mqtap.streams;

import static io.mqtap.streams.Events.HOST_A;
import static io.mqtap.streams.Events.HOST_B;
import static io.mqtap.streams.Events.T0;
import static io.mqtap.streams.Events.failed;
import static io.mqtap.streams.Events.open;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.streams.avro.MqOpenCounts;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("registry")
class MinuteCountsTest {
    @TempDir Path stateDir;

    @Test
    void oneRecordPerHostAndClosedMinuteWithCountsByOutcomeAndProcess() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of())) {
            f.pipe(open(HOST_A, "app", T0.plusSeconds(1)).build());
            f.pipe(open(HOST_A, "app", T0.plusSeconds(2)).build());
            f.pipe(Events.created(open(HOST_A, "app", T0.plusSeconds(3)), 0600).build());
            f.pipe(failed(open(HOST_A, "probe", T0.plusSeconds(4)), "ENOENT", 2).build());
            f.pipe(failed(open(HOST_A, "probe", T0.plusSeconds(5)), "ENOENT", 2).build());
            f.pipe(failed(open(HOST_A, "probe", T0.plusSeconds(59)), "EACCES", 13).build());
            f.pipe(open(HOST_B, "other", T0.plusSeconds(30)).build());
            // a late event inside the grace period still counts in its minute
            f.pipe(open(HOST_A, "late", T0.plusSeconds(65)).build());
            f.pipe(open(HOST_A, "late", T0.plusSeconds(50)).build());
            assertThat(f.counts.isEmpty()).as("nothing before the minute closes").isTrue();

            // stream time passes the end of minute 0 plus grace (10 s); minute 1 is still open
            f.pipe(open(HOST_B, "tick", T0.plusSeconds(71)).build());

            Map<String, MqOpenCounts> byHost = f.counts.readKeyValuesToList().stream()
                    .collect(Collectors.toMap(kv -> kv.key, kv -> kv.value));
            assertThat(byHost).containsOnlyKeys(HOST_A, HOST_B);
            MqOpenCounts a = byHost.get(HOST_A);
            assertThat(a.getHostname()).isEqualTo("host-a");
            assertThat(a.getMachineId()).isEqualTo(HOST_A);
            assertThat(a.getWindowStart()).isEqualTo(T0);
            assertThat(a.getWindowEnd()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
            assertThat(a.getTotal()).isEqualTo(7);
            assertThat(a.getCreated()).isEqualTo(1);
            assertThat(a.getByOutcome()).isEqualTo(Map.of("success", 4L, "ENOENT", 2L, "EACCES", 1L));
            assertThat(a.getByProcess()).isEqualTo(Map.of("app", 3L, "probe", 3L, "late", 1L));
            MqOpenCounts b = byHost.get(HOST_B);
            assertThat(b.getTotal()).isEqualTo(1);
            assertThat(b.getByOutcome()).isEqualTo(Map.of("success", 1L));
            assertThat(b.getByProcess()).isEqualTo(Map.of("other", 1L));

            // an event later than the grace period is not counted, and minute 1 closes with its own events
            f.pipe(open(HOST_A, "too-late", T0.plusSeconds(20)).build());
            f.pipe(open(HOST_A, "tick", T0.plusSeconds(200)).build());
            var minute1 = f.counts.readKeyValuesToList();
            assertThat(minute1).extracting(kv -> kv.key + "@" + kv.value.getWindowStart())
                    .containsExactlyInAnyOrder(HOST_A + "@" + T0.plusSeconds(60), HOST_B + "@" + T0.plusSeconds(60));
            KeyValue<String, MqOpenCounts> a1 = minute1.stream().filter(kv -> kv.key.equals(HOST_A)).findFirst().orElseThrow();
            assertThat(a1.value.getByProcess()).isEqualTo(Map.of("late", 1L));
        }
    }

    @Test
    void unnamedErrnoIsCountedByNumber() {
        var e = failed(open(HOST_A, "x", Instant.EPOCH), null, 133).build();
        assertThat(MinuteCounts.outcome(e)).isEqualTo("E133");
        assertThat(MinuteCounts.outcome(open(HOST_A, "x", Instant.EPOCH).setReturnValue(0).build())).isEqualTo("success");
    }
}
