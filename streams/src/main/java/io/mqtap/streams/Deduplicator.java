package io.mqtap.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Passes each record (MqOpen, or a fact of the rest of a queue's life) once by its dedup key
 * {@code (machineId, runId, sequence)}: mqtap delivers at-least-once, and a
 * record sent again (its acknowledgement was lost, or the producer was killed before it saved it) has the same key and
 * the same event time. Keys are remembered for {@code window} of event time around each record (the store keeps twice
 * that: {@link #retention}); a copy arriving after the host's stream has moved on further than that is passed again.
 * Input keyed by machine id (one host per task).
 */
final class Deduplicator<V> implements Processor<String, V, String, V> {
    static final String STORE = "dedup-keys";
    /** The store of the queue-life facts' keys (a sequence is unique across the record types of a run). */
    static final String LIFE_STORE = "life-dedup-keys";
    private final String store;
    private final Duration window;
    private final Function<V, String> dedupKey;
    private WindowStore<String, Long> seen;
    private ProcessorContext<String, V> context;

    /** {@code dedupKey}: "machineId/runId/sequence" of a record; {@code window}: how far apart a copy is still recognised. */
    Deduplicator(String store, Duration window, Function<V, String> dedupKey) {
        this.store = store;
        this.window = window;
        this.dedupKey = dedupKey;
    }

    /** How long the key store keeps a key: a copy may come a window before or after it. */
    static Duration retention(Duration window) {
        return window.multipliedBy(2);
    }

    @Override
    public void init(ProcessorContext<String, V> context) {
        this.context = context;
        this.seen = context.getStateStore(store);
    }

    @Override
    public void process(Record<String, V> record) {
        String key = dedupKey.apply(record.value());
        long t = record.timestamp();
        try (WindowStoreIterator<Long> it = seen.fetch(key, Instant.ofEpochMilli(t - window.toMillis()),
                Instant.ofEpochMilli(t + window.toMillis()))) {
            if (it.hasNext()) return; // a copy: counted once already
        }
        seen.put(key, t, t);
        context.forward(record);
    }
}
