package io.mqtap.producer.spool;

/**
 * One record as the spool keeps it: the run's sequence number and the event's wall-clock time (so a restart can tell
 * where the previous run ended), the Kafka key, and the value's Avro body. The 5-byte Confluent header (magic byte,
 * schema id) is put on when the record is sent, so records captured while the registry is away can be spooled.
 */
public record SpoolRecord(long sequence, long timestampMicros, byte[] key, byte[] value) {}
