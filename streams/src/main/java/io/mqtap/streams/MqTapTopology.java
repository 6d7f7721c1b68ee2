package io.mqtap.streams;

import io.mqtap.records.Printable;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenAlertSeverity;
import io.mqtap.streams.avro.MqOpenAlertType;
import io.mqtap.streams.avro.MqOpenCompleteness;
import io.mqtap.streams.avro.MqOpenCounts;
import io.mqtap.streams.avro.internal.LifeFact;
import java.time.Duration;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The application's dataflow. Events and stats are re-keyed by the host's machine id once (two internal topics
 * with the same partition count, so one host's events and stats meet in one task); everything per host hangs
 * off that:
 * <pre>
 * mq-open-events ── by host ─┬─ dedup ─┬─ per-event rules ───────────────────────────────────────► mq-open-alerts
 *                             │         ├─ 1-minute windows ─► counts ─┬──────────────────────────► mq-open-counts
 *                             │         │       │                      └─ rate ───────────────────► mq-open-alerts
 *                             │         │       └─ calls later than their window's grace ─────────► mq-open-counts-late
 *                             │         ├─ EACCES/EPERM by host+process, windows ─────────────────► mq-open-alerts
 *                             │         └─ facts ─┐
 * mq-unlink-events  ─┐        │                   ├─ queue keys ─ by queue ─ queue table (KTable) ─► mq-queues (compacted)
 * mq-notify-events   │        │                   │                                  └──────────────► HTTP /queues
 * mq-setattr-events  ├─ facts ── by host ─ dedup ─┴─ per-record rules (cross-user write, stale descriptor,
 * mq-access-events   │        │           │          foreign notify) ──────────────────────────────► mq-open-alerts
 * mq-transfer-events ┘        │           │
 *                             └─┐ ┌───────┘ (every copy: duplicates counted)
 * mq-open-stats ─── by host ────┴─┴─ completeness (run progress, every record type) ──────────────► mq-open-completeness
 * </pre>
 */
public final class MqTapTopology {
    private MqTapTopology() {}

    public static Topology build(StreamsSettings s, MqTapSerdes serdes) {
        Serde<String> keys = Serdes.String();
        Serde<MqOpen> events = serdes.mqOpen();
        Serde<MqOpenAlert> alerts = serdes.alert();
        StreamsBuilder b = new StreamsBuilder();

        KStream<String, MqOpen> source = b.stream(s.eventsTopic(),
                Consumed.with(keys, events).withTimestampExtractor(new EventTime()).withName("mq-open-events"));

        KStream<String, MqOpen> byHost = source
                .selectKey((k, e) -> e.getMachineId())
                .repartition(Repartitioned.<String, MqOpen>as("events-by-host")
                        .withKeySerde(keys).withValueSerde(events)
                        .withNumberOfPartitions(s.repartitionPartitions()));

        // delivery is at-least-once: counts and alerts see each (machineId, runId, sequence) once; the completeness
        // monitor below sees every copy, and counts the copies as duplicates
        Duration dedup = s.dedupWindow();
        b.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(Deduplicator.STORE,
                Deduplicator.retention(dedup), dedup, false), keys, Serdes.Long()));
        KStream<String, MqOpen> once = byHost.process(() -> new Deduplicator<MqOpen>(Deduplicator.STORE, dedup,
                e -> e.getMachineId() + "/" + e.getRunId() + "/" + e.getSequence()), Named.as("dedup"), Deduplicator.STORE);

        // (b) per-event alerts: no state
        once.flatMap((k, e) -> EventRules.alertsFor(e).stream().map(a -> KeyValue.pair(e.getMachineId(), a)).toList(),
                        Named.as("per-event-rules"))
                .to(s.alertsTopic(), Produced.with(keys, alerts));

        // (a) per host and minute, counts by outcome and by process; one final record per closed window, and the calls
        // that came after their window closed (later than the grace) as corrections on their own topic, never dropped.
        // In this task, after the dedup: the host's records need no second repartition (docs/operations.md, "Late records")
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MinuteCounter.STORE), keys, serdes.counts()));
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MinuteCounter.CLOCK_STORE), keys, Serdes.Long()));
        KStream<String, MinuteCounter.Output> minutes = once.process(() -> new MinuteCounter(s.countsWindow(), s.grace()),
                Named.as("host-minute-counts"), MinuteCounter.STORE, MinuteCounter.CLOCK_STORE);
        KStream<String, MqOpenCounts> counts = minutes
                .filter((k, o) -> !o.late(), Named.as("minute-counts-final"))
                .mapValues(MinuteCounter.Output::counts, Named.as("minute-counts-by-host"));
        minutes.filter((k, o) -> o.late(), Named.as("minute-counts-late"))
                .mapValues(MinuteCounter.Output::counts, Named.as("late-counts-by-host"))
                .to(s.countsLateTopic(), Produced.with(keys, serdes.counts()));
        counts.to(s.countsTopic(), Produced.with(keys, serdes.counts()));

        // (b) rate spikes, from the closed minutes above
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RateSpikeRule.STORE),
                keys, serdes.rateBaseline()));
        counts.process(() -> new RateSpikeRule(s), Named.as("rate-spike-rule"), RateSpikeRule.STORE)
                .to(s.alertsTopic(), Produced.with(keys, alerts));

        // (b) permission-failure bursts per host and process; caching off so the count reaching the threshold
        // is seen exactly once per window, as it happens
        long threshold = s.permissionThreshold();
        once.filter((k, e) -> isPermissionFailure(e), Named.as("permission-failures"))
                .groupBy((k, e) -> k + "|" + e.getComm(), Grouped.with("permission-failures-by-process", keys, events))
                .windowedBy(TimeWindows.ofSizeAndGrace(s.permissionWindow(), s.grace()))
                .aggregate(() -> null, (k, e, a) -> countFailure(e, a),
                        Named.as("permission-failure-counts"),
                        Materialized.<String, MqOpenAlert, WindowStore<Bytes, byte[]>>as("permission-failure-counts")
                                .withKeySerde(keys).withValueSerde(alerts).withCachingDisabled())
                .toStream()
                .filter((wk, a) -> a != null && a.getObserved() == threshold, Named.as("permission-burst-rule"))
                .map((wk, a) -> KeyValue.pair(a.getMachineId(), burst(a, wk, threshold)), Named.as("permission-burst-alert"))
                .to(s.alertsTopic(), Produced.with(keys, alerts));

        // (c) completeness: a host's events and stats meet in one task through equally partitioned topics
        KStream<String, MqOpenStats> statsByHost = b.stream(s.statsTopic(),
                        Consumed.with(keys, serdes.stats()).withTimestampExtractor(new EventTime()).withName("mq-open-stats"))
                .selectKey((k, st) -> st.getMachineId())
                .repartition(Repartitioned.<String, MqOpenStats>as("stats-by-host")
                        .withKeySerde(keys).withValueSerde(serdes.stats())
                        .withNumberOfPartitions(s.repartitionPartitions()));
        // (d) the rest of a queue's life: each topic's records as facts, re-keyed by host once; the table and the
        // per-record alerts see each fact once (the completeness monitor sees every copy)
        KStream<String, LifeFact> lifeByHost = QueueLife.facts(b, s, serdes)
                .selectKey((k, f) -> f.getMachineId(), Named.as("life-by-machine-id"))
                .repartition(Repartitioned.<String, LifeFact>as("life-by-host")
                        .withKeySerde(keys).withValueSerde(serdes.lifeFact())
                        .withNumberOfPartitions(s.repartitionPartitions()));
        b.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(Deduplicator.LIFE_STORE,
                Deduplicator.retention(dedup), dedup, false), keys, Serdes.Long()));
        KStream<String, LifeFact> lifeOnce = lifeByHost.process(() -> new Deduplicator<LifeFact>(Deduplicator.LIFE_STORE, dedup,
                f -> f.getMachineId() + "/" + f.getRunId() + "/" + f.getSequence()), Named.as("life-dedup"), Deduplicator.LIFE_STORE);
        lifeOnce.flatMap((k, f) -> LifeRules.alertsFor(f).stream().map(a -> KeyValue.pair(f.getMachineId(), a)).toList(),
                        Named.as("life-rules"))
                .to(s.alertsTopic(), Produced.with(keys, alerts));
        QueueLife.table(b, s, serdes, once.mapValues(LifeFacts::of, Named.as("open-facts")).merge(lifeOnce, Named.as("queue-facts")));

        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CompletenessMonitor.STORE),
                keys, serdes.runProgress()));
        byHost.<SpecificRecord>mapValues(e -> e, Named.as("events-for-completeness"))
                .merge(lifeByHost.<SpecificRecord>mapValues(f -> f, Named.as("life-for-completeness")), Named.as("records-for-completeness"))
                .merge(statsByHost.<SpecificRecord>mapValues(st -> st, Named.as("stats-for-completeness")),
                        Named.as("completeness-input"))
                .process(() -> new CompletenessMonitor(s.maxTrackedGaps(), s.gapGrace(), s.runRetention()), Named.as("completeness-monitor"),
                        CompletenessMonitor.STORE)
                .to(s.completenessTopic(), Produced.with(keys, serdes.completeness()));

        return b.build();
    }

    static boolean isPermissionFailure(MqOpen e) {
        return e.getReturnValue() < 0 && ("EACCES".equals(e.getErrno()) || "EPERM".equals(e.getErrno()));
    }

    /** The running count of one process's permission failures in a window, kept as the alert it may become. */
    private static MqOpenAlert countFailure(MqOpen e, MqOpenAlert a) {
        MqOpenAlert.Builder next = a == null
                ? MqOpenAlert.newBuilder().setType(MqOpenAlertType.PERMISSION_FAILURE_BURST)
                        .setSeverity(MqOpenAlertSeverity.WARNING).setObserved(0L).setMessage("")
                : MqOpenAlert.newBuilder(a);
        return next.setHostname(e.getHostname())
                .setMachineId(e.getMachineId())
                .setComm(e.getComm())
                .setTimestamp(e.getTimestamp())
                .setUid(e.getUid())
                .setObserved(next.getObserved() + 1)
                .build();
    }

    private static MqOpenAlert burst(MqOpenAlert a, Windowed<String> wk, long threshold) {
        Instant start = Instant.ofEpochMilli(wk.window().start());
        Instant end = Instant.ofEpochMilli(wk.window().end());
        return MqOpenAlert.newBuilder(a)
                .setTimestamp(end)
                .setWindowStart(start)
                .setWindowEnd(end)
                .setThreshold((double) threshold)
                .setUid(null)
                .setMessage(String.format("%s: %s got %d EACCES/EPERM failures from mq_open within %s of %s",
                        Printable.escape(a.getHostname()), Printable.escape(a.getComm()), a.getObserved(), Duration.between(start, end), start))
                .build();
    }
}
