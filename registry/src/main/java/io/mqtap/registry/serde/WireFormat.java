package io.mqtap.registry.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Confluent's wire format: magic byte 0, the schema id as a 4-byte big-endian int, then the Avro binary
 * encoding of the record (no container header, no schema).
 */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {}

    /** Writes the 5-byte header at {@code offset}. */
    public static void writeHeader(byte[] buf, int offset, int schemaId) {
        buf[offset] = MAGIC_BYTE;
        buf[offset + 1] = (byte) (schemaId >>> 24);
        buf[offset + 2] = (byte) (schemaId >>> 16);
        buf[offset + 3] = (byte) (schemaId >>> 8);
        buf[offset + 4] = (byte) schemaId;
    }

    /** The schema id of framed bytes, or a {@link SerializationException} saying whether they are truncated or have a bad magic byte. */
    public static int schemaId(String topic, byte[] data) {
        if (data.length < HEADER_SIZE) {
            throw new SerializationException("Truncated record" + on(topic) + ": " + data.length + " byte" + (data.length == 1 ? "" : "s")
                + ", but the Confluent wire format needs at least " + HEADER_SIZE + " (magic byte 0 and a 4-byte schema id)");
        }
        if (data[0] != MAGIC_BYTE) {
            throw new SerializationException(String.format("Unknown magic byte 0x%02x%s (expected 0x00): not in the Confluent wire format",
                data[0] & 0xff, on(topic)));
        }
        return ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
    }

    static String on(String topic) {
        return topic == null ? "" : " on topic " + topic;
    }
}
