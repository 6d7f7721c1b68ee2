package io.mqtap.streams;

import io.mqtap.streams.avro.internal.LifeFact;
import io.mqtap.streams.avro.internal.LifeKind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Decides when a queue's row leaves the queue table, so the table holds the queues that exist, not every queue ever
 * seen: a queue whose name was removed, once {@code unlinked} has passed (its last access windows arrive after the
 * unlink), and a queue nothing was heard of for {@code idle} (queues live in memory: a reboot or a host that went away
 * ends them without an unlink). Runs on stream time, so a replay retires what the live run did. The decision goes
 * downstream as a RETIRED fact, which deletes the row and leaves a tombstone in the compacted mq-queues topic.
 */
final class QueueRetirement implements Processor<String, LifeFact, String, LifeFact> {
    static final String STORE = "queue-retirement";
    private static final Duration MAX_SWEEP = Duration.ofMinutes(1);

    private final Duration unlinked;
    private final Duration idle;
    /** Per queue key: "lastSeenMillis unlinkedAtMillis" (-1 while its name exists). */
    private KeyValueStore<String, String> seen;
    private ProcessorContext<String, LifeFact> context;

    QueueRetirement(Duration unlinked, Duration idle) {
        this.unlinked = unlinked;
        this.idle = idle;
    }

    @Override
    public void init(ProcessorContext<String, LifeFact> context) {
        this.context = context;
        this.seen = context.getStateStore(STORE);
        Duration every = unlinked.dividedBy(4);
        if (every.compareTo(MAX_SWEEP) > 0) every = MAX_SWEEP;
        if (every.isZero()) every = Duration.ofMillis(1);
        context.schedule(every, PunctuationType.STREAM_TIME, this::sweep);
    }

    @Override
    public void process(Record<String, LifeFact> record) {
        context.forward(record);
        LifeFact f = record.value();
        String was = seen.get(record.key());
        long lastSeen = record.timestamp();
        long unlinkedAt = -1;
        if (was != null) {
            String[] v = was.split(" ");
            lastSeen = Math.max(lastSeen, Long.parseLong(v[0]));
            unlinkedAt = Long.parseLong(v[1]);
        }
        if (f.getKind() == LifeKind.UNLINK && f.getSuccess()) unlinkedAt = record.timestamp();
        seen.put(record.key(), lastSeen + " " + unlinkedAt);
    }

    private void sweep(long now) {
        List<String> retired = new ArrayList<>();
        try (KeyValueIterator<String, String> all = seen.all()) {
            while (all.hasNext()) {
                KeyValue<String, String> kv = all.next();
                String[] v = kv.value.split(" ");
                long lastSeen = Long.parseLong(v[0]);
                long unlinkedAt = Long.parseLong(v[1]);
                if ((unlinkedAt >= 0 && now - unlinkedAt >= unlinked.toMillis()) || now - lastSeen >= idle.toMillis()) retired.add(kv.key);
            }
        }
        for (String key : retired) {
            seen.delete(key);
            context.forward(new Record<>(key, retirement(key, now), now));
        }
    }

    /** The fact that deletes a row: no record of the producer, so no run, sequence or caller. */
    private static LifeFact retirement(String key, long now) {
        return LifeFact.newBuilder().setKind(LifeKind.RETIRED).setHostname("").setMachineId(key.substring(0, key.indexOf('/')))
                .setRunId("").setSequence(-1).setTimestamp(Instant.ofEpochMilli(now)).setSuccess(false).build();
    }
}
