package io.mqtap.registry.serde;

import java.io.IOException;
import io.mqtap.registry.RegistryConfig;
import java.nio.ByteBuffer;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * A {@link BinaryDecoder} that refuses what one record may not declare, whatever the JVM's Avro system properties
 * say: more collection items in all (arrays and maps together) than {@code maxItems}, or a string or bytes value
 * longer than {@code maxValueBytes}. Avro itself (1.12.2) already refuses a length or count the bytes left cannot
 * hold; these bounds are the consumer's own, so a small record of many empty strings can't fill a small heap either.
 * The item count is checked before the reader allocates the collection, a value's length right after it is read.
 */
final class BoundedDecoder extends Decoder {
    private final BinaryDecoder in;
    private final long maxItems;
    private final int maxValueBytes;
    private long items;

    BoundedDecoder(BinaryDecoder in, long maxItems, int maxValueBytes) {
        this.in = in;
        this.maxItems = maxItems;
        this.maxValueBytes = maxValueBytes;
    }

    /** Items in every array and map block read so far, against the limit (a block count is never negative here). */
    private long counted(long blockItems) {
        items += blockItems;
        if (items > maxItems) {
            throw new DecodeLimitException("the record declares more than " + maxItems + " array and map items in all ("
                    + RegistryConfig.MAX_COLLECTION_ITEMS + ")");
        }
        return blockItems;
    }

    private int checkedLength(int length, String what) {
        if (length > maxValueBytes) {
            throw new DecodeLimitException("a " + what + " value of " + length + " bytes is longer than " + maxValueBytes + " ("
                    + RegistryConfig.MAX_VALUE_BYTES + ")");
        }
        return length;
    }

    @Override public void readNull() throws IOException { in.readNull(); }
    @Override public boolean readBoolean() throws IOException { return in.readBoolean(); }
    @Override public int readInt() throws IOException { return in.readInt(); }
    @Override public long readLong() throws IOException { return in.readLong(); }
    @Override public float readFloat() throws IOException { return in.readFloat(); }
    @Override public double readDouble() throws IOException { return in.readDouble(); }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        Utf8 s = in.readString(old);
        checkedLength(s.getByteLength(), "string");
        return s;
    }

    @Override
    public String readString() throws IOException {
        return readString(null).toString();
    }

    @Override public void skipString() throws IOException { in.skipString(); }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        ByteBuffer b = in.readBytes(old);
        checkedLength(b.remaining(), "bytes");
        return b;
    }

    @Override public void skipBytes() throws IOException { in.skipBytes(); }
    @Override public void readFixed(byte[] bytes, int start, int length) throws IOException { in.readFixed(bytes, start, length); }
    @Override public void skipFixed(int length) throws IOException { in.skipFixed(length); }
    @Override public int readEnum() throws IOException { return in.readEnum(); }
    @Override public long readArrayStart() throws IOException { return counted(in.readArrayStart()); }
    @Override public long arrayNext() throws IOException { return counted(in.arrayNext()); }
    @Override public long skipArray() throws IOException { return in.skipArray(); }
    @Override public long readMapStart() throws IOException { return counted(in.readMapStart()); }
    @Override public long mapNext() throws IOException { return counted(in.mapNext()); }
    @Override public long skipMap() throws IOException { return in.skipMap(); }
    @Override public int readIndex() throws IOException { return in.readIndex(); }
    // Avro bounds a declared count or length by these: hiding them would switch its own check off
    @Override public int remainingBytes() { return in.remainingBytes(); }
}
