package io.mqtap.streams;

import io.mqtap.avro.MqOpen;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Passes each MqOpen once by its dedup key {@code (machineId, runId, sequence)}: mqtap delivers at-least-once, and a
 * record sent again (its acknowledgement was lost, or the producer was killed before it saved it) has the same key and
 * the same event time. Keys are remembered for {@link #WINDOW} of event time around each record; a copy arriving
 * after the stream has moved on further than that is passed again. Input keyed by machine id (one host per task).
 */
final class Deduplicator implements Processor<String, MqOpen, String, MqOpen> {
    static final String STORE = "dedup-keys";
    /** How far apart in event time a copy is still recognised; the store keeps twice that. */
    static final Duration WINDOW = Duration.ofMinutes(10);

    private WindowStore<String, Long> seen;
    private ProcessorContext<String, MqOpen> context;

    @Override
    public void init(ProcessorContext<String, MqOpen> context) {
        this.context = context;
        this.seen = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, MqOpen> record) {
        MqOpen e = record.value();
        String key = e.getMachineId() + "/" + e.getRunId() + "/" + e.getSequence();
        long t = record.timestamp();
        try (WindowStoreIterator<Long> it = seen.fetch(key, Instant.ofEpochMilli(t - WINDOW.toMillis()),
                Instant.ofEpochMilli(t + WINDOW.toMillis()))) {
            if (it.hasNext()) return; // a copy: counted once already
        }
        seen.put(key, t, t);
        context.forward(record);
    }
}
