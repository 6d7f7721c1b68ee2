package io.mqtap.producer.spool;

/**
 * A record read back from the spool: its place in the spool ({@code index}, for the acknowledgement), what was
 * appended ({@code branch}: its type, the branch of the writer schema), and the run and writer schema of the segment
 * that holds it (the sender registers or looks up that schema, so records written by an older version of mqtap are
 * still framed with their own schema).
 */
public record SpoolEntry(long index, int branch, long sequence, long timestampMicros, byte[] key, byte[] value, String runId,
                         String writerSchema) {}
