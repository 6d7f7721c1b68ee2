package io.mqtap.registry.serde;

import java.io.OutputStream;
import java.util.Arrays;

/** An unsynchronized, reusable byte array stream: one per thread, so encoding allocates only the result array. */
final class ByteSink extends OutputStream {
    /** Buffers that grew past this are dropped after use, so one huge record does not pin memory per thread. */
    private static final int KEEP_MAX = 1 << 20;
    private byte[] buf = new byte[1024];
    private int count;

    void reset(int reserve) {
        if (buf.length > KEEP_MAX) {
            buf = new byte[1024];
        }
        count = reserve;
    }

    byte[] buffer() {
        return buf;
    }

    @Override
    public void write(int b) {
        if (count == buf.length) {
            grow(count + 1);
        }
        buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        if (count + len > buf.length) {
            grow(count + len);
        }
        System.arraycopy(b, off, buf, count, len);
        count += len;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, count);
    }

    private void grow(int min) {
        buf = Arrays.copyOf(buf, Math.max(min, buf.length * 2));
    }
}
