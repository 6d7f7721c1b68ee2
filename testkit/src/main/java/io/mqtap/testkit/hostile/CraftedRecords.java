package io.mqtap.testkit.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Records in the Confluent wire format (magic 0, schema id, Avro binary) that a hostile or broken producer could
 * put on a topic: real up to one field, then a count or length that lies. Every consumer must skip them and count them.
 */
public final class CraftedRecords {
    /** A schema id no registry here hands out. */
    public static final int UNKNOWN_SCHEMA_ID = 987_654_321;

    private CraftedRecords() {}

    /**
     * The hostile records against a record whose schema has an array field {@code arrayField} of strings, a string
     * field {@code stringField}, a bytes field {@code bytesField} and a {@code ["null", map]} field {@code mapField},
     * by name of the attack. {@code realBytes} is the real record as the serializer framed it (its schema id inside).
     */
    public static Map<String, byte[]> against(GenericRecord real, byte[] realBytes, String arrayField, String stringField,
                                              String bytesField, String mapField) {
        int id = schemaId(realBytes);
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put("array count 2^31-1", upTo(id, real, arrayField, varLong(Integer.MAX_VALUE), new byte[8]));
        out.put("array count Long.MIN_VALUE", upTo(id, real, arrayField, varLong(Long.MIN_VALUE), varLong(16)));
        // each item is one byte (the empty string): Avro takes it, the consumer's own item limit must not
        int many = 200_000;
        out.put("200,000 empty strings in one array", upTo(id, real, arrayField, varLong(many), new byte[many + 1]));
        out.put("map count 2^31-1", upTo(id, real, mapField, varLong(1), varLong(Integer.MAX_VALUE), new byte[8]));
        out.put("string length 2^31-2", upTo(id, real, stringField, varLong(Integer.MAX_VALUE - 1), "abc".getBytes()));
        out.put("string length 2^62", upTo(id, real, stringField, varLong(1L << 62), "abc".getBytes()));
        out.put("negative string length", upTo(id, real, stringField, varLong(-7), "abc".getBytes()));
        out.put("bytes length 2^31-9", upTo(id, real, bytesField, varLong(Integer.MAX_VALUE - 8), new byte[4]));
        out.put("negative bytes length", upTo(id, real, bytesField, varLong(-1), new byte[4]));
        out.put("varint longer than 10 bytes", upTo(id, real, stringField, filled(12, (byte) 0xff)));
        out.put("truncated to half", Arrays.copyOf(realBytes, realBytes.length / 2));
        out.put("header only", Arrays.copyOf(realBytes, 5));
        byte[] unknown = realBytes.clone();
        header(unknown, UNKNOWN_SCHEMA_ID);
        out.put("unknown schema id", unknown);
        byte[] magic = realBytes.clone();
        magic[0] = 7;
        out.put("bad magic byte", magic);
        return out;
    }

    /** The schema id in a framed record's header. */
    public static int schemaId(byte[] framed) {
        return ((framed[1] & 0xff) << 24) | ((framed[2] & 0xff) << 16) | ((framed[3] & 0xff) << 8) | (framed[4] & 0xff);
    }

    /** A framed record: the fields of {@code record} before {@code field}, encoded as Avro does, then {@code tails}. */
    public static byte[] upTo(int schemaId, GenericRecord record, String field, byte[]... tails) {
        Schema schema = record.getSchema();
        Schema.Field target = schema.getField(field);
        if (target == null) throw new IllegalArgumentException(schema.getFullName() + " has no field " + field);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] head = new byte[5];
        header(head, schemaId);
        out.writeBytes(head);
        BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
        // a generated record's own model carries its logical-type conversions (and looks no class up by name)
        GenericData model = record instanceof SpecificRecordBase s ? s.getSpecificData() : GenericData.get();
        try {
            for (Schema.Field f : schema.getFields()) {
                if (f.pos() == target.pos()) break;
                new GenericDatumWriter<Object>(f.schema(), model).write(record.get(f.pos()), enc);
            }
            enc.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (byte[] t : tails) out.writeBytes(t);
        return out.toByteArray();
    }

    /** Avro's zig-zag variable-length encoding of a long. */
    public static byte[] varLong(long v) {
        long n = (v << 1) ^ (v >> 63);
        ByteArrayOutputStream out = new ByteArrayOutputStream(10);
        while ((n & ~0x7FL) != 0) {
            out.write((int) ((n & 0x7f) | 0x80));
            n >>>= 7;
        }
        out.write((int) n);
        return out.toByteArray();
    }

    private static byte[] filled(int n, byte b) {
        byte[] a = new byte[n];
        Arrays.fill(a, b);
        return a;
    }

    private static void header(byte[] buf, int id) {
        buf[0] = 0;
        buf[1] = (byte) (id >>> 24);
        buf[2] = (byte) (id >>> 16);
        buf[3] = (byte) (id >>> 8);
        buf[4] = (byte) id;
    }
}
