package io.mqtap.streams;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time for windows: when the call happened ({@code MqOpen.timestamp} and the other records' {@code timestamp};
 * MqAccess: its window's end) or the counters were read ({@code MqOpenStats.timestamp}), not when Kafka got the record;
 * anything else keeps its record timestamp.
 */
public final class EventTime implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        Object v = record.value();
        if (v instanceof MqOpen e && e.getTimestamp() != null) {
            return e.getTimestamp().toEpochMilli();
        }
        if (v instanceof MqOpenStats s && s.getTimestamp() != null) {
            return s.getTimestamp().toEpochMilli();
        }
        // the records of the rest of a queue's life (and internal facts) all carry their event time as "timestamp"
        if (v instanceof org.apache.avro.generic.IndexedRecord r && r.getSchema().getField("timestamp") != null
                && r.get(r.getSchema().getField("timestamp").pos()) instanceof Instant t) {
            return t.toEpochMilli();
        }
        return record.timestamp() >= 0 ? record.timestamp() : partitionTime;
    }

    /** Microseconds since the epoch of an Avro timestamp-micros value. */
    static long micros(Instant t) {
        return Math.multiplyExact(t.getEpochSecond(), 1_000_000L) + t.getNano() / 1_000;
    }

    static Instant fromMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
}
