package io.mqtap.producer.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * Keeps the first record of each dedup key {@code (machineId, runId, sequence)} among the last {@code window} keys
 * seen: delivery is at-least-once, and a record sent again (after a lost acknowledgement or a crash) arrives soon
 * after the first copy in the same partition. The key is unique across the record types (one sequence counter per
 * run). Stats records (their sequence is the run's last, repeated) and records without those fields always pass.
 */
public final class Dedup {
    private record Key(int machine, long runHigh, long runLow, long sequence) {}

    private final int window;
    private final Map<Key, Boolean> seen;
    private long duplicates;

    public Dedup(int window) {
        if (window < 1) throw new IllegalArgumentException("the dedup window must be at least 1 record, was " + window);
        this.window = window;
        this.seen = new LinkedHashMap<>(Math.min(window, 1 << 16) * 2, 0.75f) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
                return size() > Dedup.this.window;
            }
        };
    }

    /** True the first time a key is seen (print it), false for a duplicate (counted). */
    public boolean first(IndexedRecord r) {
        Schema s = r.getSchema();
        Schema.Field m = s.getField("machineId");
        Schema.Field run = s.getField("runId");
        Schema.Field seq = s.getField("sequence");
        if (m == null || run == null || seq == null || "MqOpenStats".equals(s.getName())) return true;
        UUID u;
        try {
            u = UUID.fromString(String.valueOf(r.get(run.pos())));
        } catch (IllegalArgumentException e) {
            u = new UUID(0, String.valueOf(r.get(run.pos())).hashCode());
        }
        Key k = new Key(String.valueOf(r.get(m.pos())).hashCode(), u.getMostSignificantBits(), u.getLeastSignificantBits(),
                ((Number) r.get(seq.pos())).longValue());
        if (seen.putIfAbsent(k, Boolean.TRUE) == null) return true;
        duplicates++;
        return false;
    }

    public long duplicates() {
        return duplicates;
    }
}
