package io.mqtap.capture;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The fixed-size record drain writes, one per event: the C {@code struct mq_open_event} of
 * bpf/mq_open_event.h, in the machine's byte order. A test checks every offset and size here
 * against the C header through the native library.
 */
public final class RawEvent {
    private RawEvent() {}

    public static final int SIZE = 400;

    public static final int BOOT_NS = 0;
    public static final int DURATION_NS = 8;
    public static final int CGROUP_ID = 16;
    public static final int RET = 24;
    public static final int ATTR_FLAGS = 32;
    public static final int ATTR_MAXMSG = 40;
    public static final int ATTR_MSGSIZE = 48;
    public static final int ATTR_CURMSGS = 56;
    public static final int PID = 64;
    public static final int TID = 68;
    public static final int PPID = 72;
    public static final int NS_PID = 76;
    public static final int UID = 80;
    public static final int GID = 84;
    public static final int MNT_NS = 88;
    public static final int PID_NS = 92;
    public static final int CPU = 96;
    public static final int OFLAG = 100;
    public static final int MODE = 104;
    public static final int NAME_ERROR = 108;
    public static final int ATTR_ERROR = 112;
    public static final int NAME_LEN = 116;
    public static final int NAME_TRUNCATED = 118;
    public static final int NAME_CHANGED = 119;
    public static final int HAS_ATTR = 120;
    public static final int PROBE = 121;
    public static final int RESERVED = 122;
    public static final int COMM = 128;
    public static final int NAME = 144;

    public static final int COMM_LEN = 16;
    public static final int NAME_CAPACITY = 256;
    /** Name bytes kept at most; longer names set nameTruncated. */
    public static final int NAME_MAX = 255;

    /** Field name, offset and size, in the order the native layout() reports them. */
    public record Field(String name, int offset, int size) {}

    public static final List<Field> FIELDS = List.of(
            new Field("boot_ns", BOOT_NS, 8), new Field("duration_ns", DURATION_NS, 8),
            new Field("cgroup_id", CGROUP_ID, 8), new Field("ret", RET, 8),
            new Field("attr_flags", ATTR_FLAGS, 8), new Field("attr_maxmsg", ATTR_MAXMSG, 8),
            new Field("attr_msgsize", ATTR_MSGSIZE, 8), new Field("attr_curmsgs", ATTR_CURMSGS, 8),
            new Field("pid", PID, 4), new Field("tid", TID, 4), new Field("ppid", PPID, 4),
            new Field("ns_pid", NS_PID, 4), new Field("uid", UID, 4), new Field("gid", GID, 4),
            new Field("mnt_ns", MNT_NS, 4), new Field("pid_ns", PID_NS, 4), new Field("cpu", CPU, 4),
            new Field("oflag", OFLAG, 4), new Field("mode", MODE, 4), new Field("name_error", NAME_ERROR, 4),
            new Field("attr_error", ATTR_ERROR, 4), new Field("name_len", NAME_LEN, 2),
            new Field("name_truncated", NAME_TRUNCATED, 1), new Field("name_changed", NAME_CHANGED, 1),
            new Field("has_attr", HAS_ATTR, 1), new Field("probe", PROBE, 1), new Field("reserved", RESERVED, 6),
            new Field("comm", COMM, COMM_LEN), new Field("name", NAME, NAME_CAPACITY));

    /**
     * Decodes the record at {@code offset} (absolute; position and limit are not used or changed).
     * The buffer's byte order does not matter: records are read in the machine's order.
     */
    public static MqOpenEvent decode(ByteBuffer buf, int offset) {
        if (offset < 0 || offset > buf.capacity() - SIZE)
            throw new IndexOutOfBoundsException("record at " + offset + " does not fit a buffer of " + buf.capacity());
        ByteBuffer b = buf.order() == ByteOrder.nativeOrder() ? buf : buf.duplicate().order(ByteOrder.nativeOrder());
        int nameLen = Math.min(b.getShort(offset + NAME_LEN) & 0xFFFF, NAME_MAX);
        byte[] name = new byte[nameLen];
        b.get(offset + NAME, name);
        return new MqOpenEvent(
                b.getLong(offset + BOOT_NS),
                b.getInt(offset + CPU),
                u32(b, offset + PID),
                u32(b, offset + TID),
                u32(b, offset + PPID),
                u32(b, offset + NS_PID),
                u32(b, offset + UID),
                u32(b, offset + GID),
                comm(b, offset + COMM),
                b.getLong(offset + CGROUP_ID),
                u32(b, offset + MNT_NS),
                u32(b, offset + PID_NS),
                name,
                b.get(offset + NAME_TRUNCATED) != 0,
                b.getInt(offset + NAME_ERROR),
                b.get(offset + NAME_CHANGED) != 0,
                b.getInt(offset + OFLAG),
                b.getInt(offset + MODE),
                b.get(offset + HAS_ATTR) != 0,
                b.getLong(offset + ATTR_FLAGS),
                b.getLong(offset + ATTR_MAXMSG),
                b.getLong(offset + ATTR_MSGSIZE),
                b.getLong(offset + ATTR_CURMSGS),
                b.getLong(offset + RET),
                AttachMode.ofProbeByte(b.get(offset + PROBE) & 0xFF),
                b.getLong(offset + DURATION_NS),
                b.getInt(offset + ATTR_ERROR));
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & 0xFFFF_FFFFL;
    }

    /** comm up to its NUL, lossless: bytes that are not UTF-8 become \\xNN, as the record's schema says. */
    private static String comm(ByteBuffer b, int at) {
        byte[] c = new byte[COMM_LEN];
        b.get(at, c);
        int n = 0;
        while (n < COMM_LEN && c[n] != 0) n++;
        return NameCodec.decode(c, 0, n);
    }
}
