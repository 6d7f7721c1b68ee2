package io.mqtap.bench.faults;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The ground truth against what Kafka holds. Each generator call is tagged ({@code <name>-<i>}, i below the calls the
 * generator says it made); the scenario's records are read back from Kafka, made distinct by the dedup key (machineId,
 * runId, sequence) and matched to calls by name. mqtap's own count of what it lost comes from its stats records: the
 * last one of each run that took part. Records are decoded with this build's schemas directly (the 5-byte header
 * checked, the registry not asked: the test registry forgets its ids when it restarts, and every record here is this
 * build's).
 */
public final class Reconciliation {
    private final String bootstrap;

    public Reconciliation(String bootstrap) {
        this.bootstrap = bootstrap;
    }

    /**
     * One line of the report. rereads: calls in Kafka under more than one dedup key (read twice from the kernel);
     * missingRanges: how many runs of consecutive call numbers are missing (a restart's blind window is one per generator).
     */
    public record Line(String scenario, long calls, long unique, long duplicates, long rereads, long countedLost, long outageSeconds,
                       long missingRanges, String result) {
        public long lost() {
            return calls - unique;
        }

        public String text(boolean info) {
            String s = String.format(Locale.ROOT, "scenario=%s calls=%d unique=%d duplicates=%d lost=%d counted-lost=%d outage-s=%d result=%s",
                    scenario, calls, unique, duplicates, lost(), countedLost, outageSeconds, result);
            return info ? s + " blind-window-calls=" + lost() + " missing-ranges=" + missingRanges : s;
        }
    }

    /** The end offset of the events partition now: where a scenario's records start. */
    public long endOffset() {
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            TopicPartition tp = new TopicPartition(Faults.EVENTS, 0);
            return c.endOffsets(List.of(tp), Duration.ofSeconds(60)).get(tp);
        }
    }

    /** Reconciles one scenario: its records from offset {@code from} on, its runs' last stats records. */
    public Line reconcile(FaultScenario s, FaultScenario.Outcome o, long from) {
        CallTally t = new CallTally(o.calls());
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            TopicPartition tp = new TopicPartition(Faults.EVENTS, 0);
            c.assign(List.of(tp));
            c.seek(tp, from);
            long end = c.endOffsets(List.of(tp), Duration.ofSeconds(60)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            SpecificDatumReader<MqOpen> reader = new SpecificDatumReader<>(MqOpen.class);
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    MqOpen e = decode(reader, r.value());
                    t.add(e.getMachineId(), e.getRunId(), e.getSequence(), e.getName());
                }
            }
            if (c.position(tp) < end) throw new IllegalStateException("read back only to offset " + c.position(tp) + " of " + end + " in 10 minutes");
        }
        if (t.unknown() > 0) FaultsBench.say("%s: %d records of other names or calls skipped", s.name(), t.unknown());
        boolean complete = true;
        for (String g : o.mustArrive()) {
            if (t.found(g) < o.calls().get(g)) {
                complete = false;
                FaultsBench.say("%s: only %d of %s's %d calls arrived", s.name(), t.found(g), g, o.calls().get(g));
            }
        }
        long counted = countedLost(o.runIds());
        long lost = o.totalCalls() - t.unique();
        boolean pass = lost == counted && t.rereads() == 0 && (s.countedLoss() || counted == 0)
                && (t.copies() == 0 || s.duplicatesAllowed()) && o.totalCalls() > 0 && complete;
        return new Line(s.name(), o.totalCalls(), t.unique(), t.copies(), t.rereads(), counted, o.outageSeconds(), t.missingRanges(),
                s.info() ? "info" : pass ? "pass" : "fail");
    }

    /** lostKernel + dropped + failed + suppressed (per-uid fairness, counted per call) of the last stats record of each run. */
    long countedLost(List<String> runIds) {
        Map<String, MqOpenStats> last = new HashMap<>();
        Set<String> runs = new HashSet<>(runIds);
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            TopicPartition tp = new TopicPartition(Faults.STATS, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp), Duration.ofSeconds(60)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            SpecificDatumReader<MqOpenStats> reader = new SpecificDatumReader<>(MqOpenStats.class);
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    MqOpenStats st = decode(reader, r.value());
                    if (!runs.contains(st.getRunId())) continue;
                    MqOpenStats prev = last.get(st.getRunId());
                    // counters are cumulative: the latest record of a run (a quiet interval repeats a sequence)
                    if (prev == null || !st.getTimestamp().isBefore(prev.getTimestamp())) last.put(st.getRunId(), st);
                }
            }
        }
        for (String run : runIds) if (!last.containsKey(run)) FaultsBench.say("no stats record of run %s", run);
        return last.values().stream().mapToLong(st -> st.getLostKernel() + st.getDropped() + st.getFailed()
                + (st.getSuppressed() == null ? 0 : st.getSuppressed())).sum();
    }

    private static <T extends SpecificRecordBase> T decode(SpecificDatumReader<T> reader, byte[] framed) {
        ByteBuffer b = ByteBuffer.wrap(framed);
        if (framed.length < 5 || b.get() != 0) throw new IllegalStateException("not in the Confluent wire format");
        try {
            return reader.read(null, DecoderFactory.get().binaryDecoder(framed, 5, framed.length - 5, null));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("undecodable record", e);
        }
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Map<String, Object> cfg = Map.of("bootstrap.servers", bootstrap, "enable.auto.commit", false,
                "max.poll.records", 10_000, "fetch.max.bytes", 64 << 20, "max.partition.fetch.bytes", 16 << 20);
        return new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
