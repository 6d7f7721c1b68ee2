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
import java.util.List;
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

            // an event later than the grace period is not in minute 0's published count but on the late topic (below),
            // and minute 1 closes with its own events
            f.pipe(open(HOST_A, "too-late", T0.plusSeconds(20)).build());
            f.pipe(open(HOST_A, "tick", T0.plusSeconds(200)).build());
            var minute1 = f.counts.readKeyValuesToList();
            assertThat(minute1).extracting(kv -> kv.key + "@" + kv.value.getWindowStart())
                    .containsExactlyInAnyOrder(HOST_A + "@" + T0.plusSeconds(60), HOST_B + "@" + T0.plusSeconds(60));
            KeyValue<String, MqOpenCounts> a1 = minute1.stream().filter(kv -> kv.key.equals(HOST_A)).findFirst().orElseThrow();
            assertThat(a1.value.getByProcess()).isEqualTo(Map.of("late", 1L));

            assertThat(f.lateCounts.isEmpty()).as("corrections go out on the wall clock").isTrue();
            f.driver.advanceWallClockTime(MinuteCounter.LATE_FLUSH);
            assertThat(f.lateCounts.readKeyValuesToList()).singleElement().satisfies(kv -> {
                assertThat(kv.key).isEqualTo(HOST_A);
                assertThat(kv.value.getWindowStart()).isEqualTo(T0);
                assertThat(kv.value.getTotal()).isEqualTo(1);
                assertThat(kv.value.getByProcess()).isEqualTo(Map.of("too-late", 1L));
            });
        }
    }

    /**
     * A failover's unevenness in one task: host A's partition is processed on while host B's records of the same minutes
     * are held up (a killed instance's partition, caught up later). B's records that come after their minute closed
     * are published per host-minute on the late topic with exact counts, those still in time are counted, A's counts are
     * untouched, and every call made is in exactly one published record; the metric counts the late ones.
     */
    @Test
    void recordsLaterThanTheGraceArePublishedAsCorrectionsAndEveryCallIsInOneRecord() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of("mqtap.grace", "PT1M"))) {
            Map<String, Long> made = new java.util.TreeMap<>();
            // host A: 10 calls a minute for minutes 0-4 (event time runs to 4:59)
            for (int m = 0; m < 5; m++) {
                for (int i = 0; i < 10; i++) {
                    f.pipe(open(HOST_A, "a", T0.plusSeconds(60L * m + 6L * i)).build());
                    made.merge(HOST_A + "@" + m, 1L, Long::sum);
                }
            }
            // host B's held-up minutes 0-4 arrive now: 0-2 closed (end + 1 min <= 4:54), 3 and 4 still open
            for (int m = 0; m < 5; m++) {
                for (int i = 0; i < 7; i++) {
                    f.pipe(failed(open(HOST_B, m % 2 == 0 ? "b" : "c", T0.plusSeconds(60L * m + 8L * i)), "ENOENT", 2).build());
                    made.merge(HOST_B + "@" + m, 1L, Long::sum);
                }
            }
            f.pipe(open(HOST_A, "tick", T0.plusSeconds(60L * 10)).build()); // closes minutes 0-8 (end + 1 min <= 10:00)
            made.merge(HOST_A + "@10", 1L, Long::sum);
            f.driver.advanceWallClockTime(MinuteCounter.LATE_FLUSH);

            Map<String, Long> counted = totals(f.counts.readKeyValuesToList());
            List<KeyValue<String, MqOpenCounts>> late = f.lateCounts.readKeyValuesToList();
            Map<String, Long> corrected = totals(late);
            assertThat(counted).as("published counts").isEqualTo(Map.of(HOST_A + "@0", 10L, HOST_A + "@1", 10L, HOST_A + "@2", 10L,
                    HOST_A + "@3", 10L, HOST_A + "@4", 10L, HOST_B + "@3", 7L, HOST_B + "@4", 7L));
            assertThat(corrected).as("late corrections, one per host-minute").isEqualTo(Map.of(HOST_B + "@0", 7L, HOST_B + "@1", 7L,
                    HOST_B + "@2", 7L));
            assertThat(late).allSatisfy(kv -> {
                assertThat(kv.key).isEqualTo(HOST_B);
                assertThat(kv.value.getWindowEnd()).isEqualTo(kv.value.getWindowStart().plus(Duration.ofMinutes(1)));
                assertThat(kv.value.getByOutcome()).isEqualTo(Map.of("ENOENT", 7L));
                assertThat(kv.value.getByProcess()).hasSize(1).containsValue(7L);
            });
            // nothing silently dropped: published + late = made, per host-minute (minute 10 of A is still open)
            Map<String, Long> published = new java.util.TreeMap<>(counted);
            corrected.forEach((k, v) -> published.merge(k, v, Long::sum));
            Map<String, Long> closedMade = new java.util.TreeMap<>(made);
            closedMade.remove(HOST_A + "@10");
            assertThat(published).isEqualTo(closedMade);
            assertThat(lateRecordsTotal(f)).isEqualTo(21.0);

            // a late call of a minute already corrected is a new correction of one, published at the next flush
            f.pipe(open(HOST_B, "b", T0.plusSeconds(10)).build());
            f.driver.advanceWallClockTime(MinuteCounter.LATE_FLUSH);
            assertThat(totals(f.lateCounts.readKeyValuesToList())).isEqualTo(Map.of(HOST_B + "@0", 1L));
            assertThat(f.counts.isEmpty()).isTrue();
            assertThat(lateRecordsTotal(f)).isEqualTo(22.0);
        }
    }

    /** host@minute (from T0) to the sum of the records' totals. */
    private static Map<String, Long> totals(List<KeyValue<String, MqOpenCounts>> records) {
        Map<String, Long> m = new java.util.TreeMap<>();
        for (KeyValue<String, MqOpenCounts> kv : records) {
            long minute = Duration.between(T0, kv.value.getWindowStart()).toMinutes();
            m.merge(kv.key + "@" + minute, kv.value.getTotal(), Long::sum);
        }
        return m;
    }

    private static double lateRecordsTotal(TopologyFixture f) {
        return f.driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals("stream-" + MinuteCounter.METRIC_SCOPE + "-metrics")
                        && e.getKey().name().equals(MinuteCounter.LATE_RECORDS + "-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    @Test
    void unnamedErrnoIsCountedByNumber() {
        var e = failed(open(HOST_A, "x", Instant.EPOCH), null, 133).build();
        assertThat(MinuteCounts.outcome(e)).isEqualTo("E133");
        assertThat(MinuteCounts.outcome(open(HOST_A, "x", Instant.EPOCH).setReturnValue(0).build())).isEqualTo("success");
    }
}
