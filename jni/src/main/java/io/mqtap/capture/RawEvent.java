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

    public static final int SIZE = 984;

    public static final int BOOT_NS = 0;
    public static final int DURATION_NS = 8;
    public static final int CGROUP_ID = 16;
    public static final int RET = 24;
    public static final int ATTR_FLAGS = 32;
    public static final int ATTR_MAXMSG = 40;
    public static final int ATTR_MSGSIZE = 48;
    public static final int ATTR_CURMSGS = 56;
    public static final int QUEUE_INO = 64;
    public static final int PROCESS_START_NS = 72;
    public static final int PID = 80;
    public static final int TID = 84;
    public static final int PPID = 88;
    public static final int NS_PID = 92;
    public static final int NS_TID = 96;
    public static final int UID = 100;
    public static final int GID = 104;
    public static final int EUID = 108;
    public static final int FSUID = 112;
    public static final int LOGIN_UID = 116;
    public static final int MNT_NS = 120;
    public static final int PID_NS = 124;
    public static final int IPC_NS = 128;
    public static final int USER_NS = 132;
    public static final int QUEUE_IPC_NS = 136;
    public static final int QUEUE_MODE = 140;
    public static final int QUEUE_UID = 144;
    public static final int QUEUE_GID = 148;
    public static final int CPU = 152;
    public static final int OFLAG = 156;
    public static final int MODE = 160;
    public static final int NAME_ERROR = 164;
    public static final int ATTR_ERROR = 168;
    public static final int NAME_LEN = 172;
    public static final int EXE_LEN = 174;
    public static final int KNAME_LEN = 176;
    public static final int NAME_TRUNCATED = 178;
    public static final int NAME_CHANGED = 179;
    public static final int HAS_ATTR = 180;
    public static final int PROBE = 181;
    public static final int API = 182;
    public static final int CREATED = 183;
    public static final int FLAGS = 184;
    public static final int RESERVED = 185;
    public static final int COMM = 192;
    /** name, NUL, exe, NUL, kernel name, NUL */
    public static final int DATA = 208;

    public static final int COMM_LEN = 16;
    public static final int DATA_CAPACITY = 776;
    /** Name bytes kept at most; longer names set nameTruncated. The exe and kernel names are at most this too. */
    public static final int NAME_MAX = 255;

    /** Union members: send/receive ({@code msg_*}), notify ({@code notify_*}), descriptor calls and getsetattr. */
    public static final int MSG_LEN = ATTR_FLAGS, MSG_PRIO = ATTR_MAXMSG, NOTIFY_KIND = ATTR_FLAGS, NOTIFY_SIGNO = ATTR_MAXMSG,
            MQDES = OFLAG, NEW_FLAGS = MODE;

    /** {@code api} values */
    static final int API_MQ_OPEN = 1, API_OPEN = 2, API_UNLINK = 3, API_SEND = 4, API_RECEIVE = 5, API_NOTIFY = 6,
            API_GETSETATTR = 7, API_FS_UNLINK = 8;
    /** {@code created} values */
    static final int CREATED_NO = 0, CREATED_YES = 1;
    /** {@code flags} bits */
    static final int F_QUEUE = 0x01, F_KNAME_SAME = 0x02, F_LOGIN_UID = 0x04, F_EXE = 0x08, F_NO_KNAME = 0x10,
            F_NEW_ATTR = 0x20, F_UNLINKED = 0x40, F_PRIO = 0x80;

    /** Field name, offset and size, in the order the native layout() reports them. */
    public record Field(String name, int offset, int size) {}

    public static final List<Field> FIELDS = List.of(
            new Field("boot_ns", BOOT_NS, 8), new Field("duration_ns", DURATION_NS, 8),
            new Field("cgroup_id", CGROUP_ID, 8), new Field("ret", RET, 8),
            new Field("attr_flags", ATTR_FLAGS, 8), new Field("attr_maxmsg", ATTR_MAXMSG, 8),
            new Field("attr_msgsize", ATTR_MSGSIZE, 8), new Field("attr_curmsgs", ATTR_CURMSGS, 8),
            new Field("queue_ino", QUEUE_INO, 8), new Field("process_start_ns", PROCESS_START_NS, 8),
            new Field("pid", PID, 4), new Field("tid", TID, 4), new Field("ppid", PPID, 4),
            new Field("ns_pid", NS_PID, 4), new Field("ns_tid", NS_TID, 4), new Field("uid", UID, 4),
            new Field("gid", GID, 4), new Field("euid", EUID, 4), new Field("fsuid", FSUID, 4),
            new Field("login_uid", LOGIN_UID, 4), new Field("mnt_ns", MNT_NS, 4), new Field("pid_ns", PID_NS, 4),
            new Field("ipc_ns", IPC_NS, 4), new Field("user_ns", USER_NS, 4), new Field("queue_ipc_ns", QUEUE_IPC_NS, 4),
            new Field("queue_mode", QUEUE_MODE, 4), new Field("queue_uid", QUEUE_UID, 4),
            new Field("queue_gid", QUEUE_GID, 4), new Field("cpu", CPU, 4), new Field("oflag", OFLAG, 4),
            new Field("mode", MODE, 4), new Field("name_error", NAME_ERROR, 4), new Field("attr_error", ATTR_ERROR, 4),
            new Field("name_len", NAME_LEN, 2), new Field("exe_len", EXE_LEN, 2), new Field("kname_len", KNAME_LEN, 2),
            new Field("name_truncated", NAME_TRUNCATED, 1), new Field("name_changed", NAME_CHANGED, 1),
            new Field("has_attr", HAS_ATTR, 1), new Field("probe", PROBE, 1), new Field("api", API, 1),
            new Field("created", CREATED, 1), new Field("flags", FLAGS, 1), new Field("reserved", RESERVED, 7),
            new Field("comm", COMM, COMM_LEN), new Field("data", DATA, DATA_CAPACITY));

    /**
     * Decodes the record at {@code offset} whatever call it is (its {@code api}): an open as {@link #decode}, an unlink,
     * send, receive, notify or getsetattr as its own event type, any other {@code api} as an {@link UnknownCallEvent}
     * (odd kernel data never throws here: lengths are clamped as in {@link #decode}). Position and limit are not used
     * or changed.
     */
    public static QueueEvent decodeAny(ByteBuffer buf, int offset) {
        check(buf, offset);
        ByteBuffer b = buf.order() == ByteOrder.nativeOrder() ? buf : buf.duplicate().order(ByteOrder.nativeOrder());
        int api = b.get(offset + API) & 0xFF;
        if (api == API_MQ_OPEN || api == API_OPEN) return decode(b, offset);
        int flags = b.get(offset + FLAGS) & 0xFF;
        int nameLen = Math.min(b.getShort(offset + NAME_LEN) & 0xFFFF, NAME_MAX);
        int exeLen = Math.min(b.getShort(offset + EXE_LEN) & 0xFFFF, NAME_MAX);
        byte[] exe = null;
        if ((flags & F_EXE) != 0) {
            exe = new byte[exeLen];
            b.get(offset + DATA + nameLen + 1, exe);
        }
        Caller caller = caller(b, offset, exe);
        MqOpenEvent.Queue queue = queue(b, offset, flags, null, offset + DATA + nameLen + 1 + exeLen + 1);
        long boot = b.getLong(offset + BOOT_NS);
        AttachMode probe = AttachMode.ofProbeByte(b.get(offset + PROBE) & 0xFF);
        long ret = b.getLong(offset + RET);
        boolean unlinked = (flags & F_UNLINKED) != 0;
        int mqdes = b.getInt(offset + MQDES);
        boolean given = b.get(offset + HAS_ATTR) != 0;
        return switch (api) {
            case API_UNLINK, API_FS_UNLINK -> {
                byte[] name = new byte[nameLen];
                b.get(offset + DATA, name);
                yield new MqUnlinkEvent(boot, probe, caller, name, b.get(offset + NAME_TRUNCATED) != 0, b.getInt(offset + NAME_ERROR),
                        ret, api == API_FS_UNLINK, queue);
            }
            case API_SEND -> new MqTransferEvent(boot, probe, caller, true, mqdes, b.getLong(offset + MSG_LEN),
                    b.getLong(offset + MSG_PRIO), given, ret, queue, unlinked);
            case API_RECEIVE -> new MqTransferEvent(boot, probe, caller, false, mqdes, b.getLong(offset + MSG_LEN),
                    (flags & F_PRIO) != 0 ? b.getLong(offset + MSG_PRIO) : null, given, ret, queue, unlinked);
            case API_NOTIFY -> new MqNotifyEvent(boot, probe, caller, mqdes, (int) b.getLong(offset + NOTIFY_KIND),
                    (int) b.getLong(offset + NOTIFY_SIGNO), b.getInt(offset + ATTR_ERROR), ret, queue, unlinked);
            case API_GETSETATTR -> new MqSetAttrEvent(boot, probe, caller, mqdes,
                    (flags & F_NEW_ATTR) != 0 ? Long.valueOf(b.getInt(offset + NEW_FLAGS) & 0xFFFF_FFFFL) : null,
                    given ? new MqSetAttrEvent.Attributes(b.getLong(offset + ATTR_FLAGS), b.getLong(offset + ATTR_MAXMSG),
                            b.getLong(offset + ATTR_MSGSIZE), b.getLong(offset + ATTR_CURMSGS)) : null,
                    b.getInt(offset + ATTR_ERROR), ret, queue, unlinked);
            default -> new UnknownCallEvent(boot, probe, caller, ret, api);
        };
    }

    private static void check(ByteBuffer buf, int offset) {
        if (offset < 0 || offset > buf.capacity() - SIZE)
            throw new IndexOutOfBoundsException("record at " + offset + " does not fit a buffer of " + buf.capacity());
    }

    private static Caller caller(ByteBuffer b, int offset, byte[] exe) {
        int flags = b.get(offset + FLAGS) & 0xFF;
        return new Caller(b.getInt(offset + CPU), u32(b, offset + PID), u32(b, offset + TID), u32(b, offset + PPID),
                u32(b, offset + NS_PID), u32(b, offset + NS_TID), u32(b, offset + UID), u32(b, offset + GID),
                u32(b, offset + EUID), u32(b, offset + FSUID), (flags & F_LOGIN_UID) != 0 ? u32(b, offset + LOGIN_UID) : null,
                comm(b, offset + COMM), exe, b.getLong(offset + CGROUP_ID), u32(b, offset + MNT_NS), u32(b, offset + PID_NS),
                u32(b, offset + USER_NS), u32(b, offset + IPC_NS), b.getLong(offset + PROCESS_START_NS));
    }

    /** The queue fields (F_QUEUE), the kernel name at knameAt unless it equals {@code sameAs} (F_KNAME_SAME). */
    private static MqOpenEvent.Queue queue(ByteBuffer b, int offset, int flags, byte[] sameAs, int knameAt) {
        if ((flags & F_QUEUE) == 0) return null;
        byte[] kname;
        if ((flags & F_NO_KNAME) != 0) kname = null;
        else if ((flags & F_KNAME_SAME) != 0 && sameAs != null) kname = sameAs.clone();
        else {
            kname = new byte[Math.min(b.getShort(offset + KNAME_LEN) & 0xFFFF, NAME_MAX)];
            b.get(knameAt, kname);
        }
        return new MqOpenEvent.Queue(u32(b, offset + QUEUE_IPC_NS), b.getLong(offset + QUEUE_INO), b.getInt(offset + QUEUE_MODE),
                u32(b, offset + QUEUE_UID), u32(b, offset + QUEUE_GID), kname);
    }

    /**
     * Decodes the record at {@code offset} (absolute; position and limit are not used or changed).
     * The buffer's byte order does not matter: records are read in the machine's order. Lengths are
     * clamped to what the record can hold, never trusted past it.
     */
    public static MqOpenEvent decode(ByteBuffer buf, int offset) {
        if (offset < 0 || offset > buf.capacity() - SIZE)
            throw new IndexOutOfBoundsException("record at " + offset + " does not fit a buffer of " + buf.capacity());
        ByteBuffer b = buf.order() == ByteOrder.nativeOrder() ? buf : buf.duplicate().order(ByteOrder.nativeOrder());
        int flags = b.get(offset + FLAGS) & 0xFF;
        int nameLen = Math.min(b.getShort(offset + NAME_LEN) & 0xFFFF, NAME_MAX);
        int exeLen = Math.min(b.getShort(offset + EXE_LEN) & 0xFFFF, NAME_MAX);
        int knameLen = Math.min(b.getShort(offset + KNAME_LEN) & 0xFFFF, NAME_MAX);
        byte[] name = new byte[nameLen];
        b.get(offset + DATA, name);
        int exeAt = offset + DATA + nameLen + 1;
        byte[] exe = null;
        if ((flags & F_EXE) != 0) {
            exe = new byte[exeLen];
            b.get(exeAt, exe);
        }
        MqOpenEvent.Queue queue = null;
        if ((flags & F_QUEUE) != 0) {
            byte[] kname;
            if ((flags & F_NO_KNAME) != 0) kname = null;
            else if ((flags & F_KNAME_SAME) != 0) kname = name.clone();
            else {
                kname = new byte[knameLen];
                b.get(exeAt + exeLen + 1, kname);
            }
            queue = new MqOpenEvent.Queue(u32(b, offset + QUEUE_IPC_NS), b.getLong(offset + QUEUE_INO),
                    b.getInt(offset + QUEUE_MODE), u32(b, offset + QUEUE_UID), u32(b, offset + QUEUE_GID), kname);
        }
        int created = b.get(offset + CREATED) & 0xFF;
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
                b.getInt(offset + ATTR_ERROR),
                u32(b, offset + NS_TID),
                u32(b, offset + EUID),
                u32(b, offset + FSUID),
                (flags & F_LOGIN_UID) != 0 ? u32(b, offset + LOGIN_UID) : null,
                u32(b, offset + USER_NS),
                u32(b, offset + IPC_NS),
                b.getLong(offset + PROCESS_START_NS),
                exe,
                (b.get(offset + API) & 0xFF) == API_OPEN ? MqOpenEvent.Api.OPEN : MqOpenEvent.Api.MQ_OPEN,
                created == CREATED_NO ? Boolean.FALSE : created == CREATED_YES ? Boolean.TRUE : null,
                queue);
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
