package io.mqtap.producer.spool;

/**
 * One record as the spool keeps it: its type ({@code branch}: which branch of the segment's writer schema, a union of
 * the record types, encoded it; 0 when the writer schema is one record), the run's sequence number and the event's
 * wall-clock time (so a restart can tell where the previous run ended), the Kafka key, and the value's Avro body. The
 * 5-byte Confluent header (magic byte, schema id) is put on when the record is sent, so records captured while the
 * registry is away can be spooled.
 */
public record SpoolRecord(int branch, long sequence, long timestampMicros, byte[] key, byte[] value) {
    public SpoolRecord {
        if (branch < 0 || branch > Segment.MAX_BRANCH) throw new IllegalArgumentException("branch " + branch + " out of 0.." + Segment.MAX_BRANCH);
    }

    /** A record of a single-record writer schema (branch 0). */
    public SpoolRecord(long sequence, long timestampMicros, byte[] key, byte[] value) {
        this(0, sequence, timestampMicros, key, value);
    }
}
