package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The decoder on hand-made records, and its layout against the C header (through the native library). */
class RawEventTest {

    /** Writes a record the way the C struct lays it out, at {@code at}: a failed mq_open with an exe. */
    static void write(ByteBuffer b, int at, byte[] name, boolean truncated) {
        b.putLong(at + RawEvent.BOOT_NS, 123_456_789_000L);
        b.putLong(at + RawEvent.DURATION_NS, 4_321L);
        b.putLong(at + RawEvent.CGROUP_ID, 0x1234_5678_9ABCL);
        b.putLong(at + RawEvent.RET, -13L);
        b.putLong(at + RawEvent.ATTR_FLAGS, 0x800L);
        b.putLong(at + RawEvent.ATTR_MAXMSG, 10L);
        b.putLong(at + RawEvent.ATTR_MSGSIZE, 8192L);
        b.putLong(at + RawEvent.ATTR_CURMSGS, 0L);
        b.putLong(at + RawEvent.PROCESS_START_NS, 777_000_000_123L);
        b.putInt(at + RawEvent.PID, 0xFFFF_FFF0); // above 2^31: decoded unsigned
        b.putInt(at + RawEvent.TID, 4242);
        b.putInt(at + RawEvent.PPID, 1);
        b.putInt(at + RawEvent.NS_PID, 7);
        b.putInt(at + RawEvent.NS_TID, 8);
        b.putInt(at + RawEvent.UID, 65534);
        b.putInt(at + RawEvent.GID, 65533);
        b.putInt(at + RawEvent.EUID, 0);
        b.putInt(at + RawEvent.FSUID, 1001);
        b.putInt(at + RawEvent.LOGIN_UID, 1000);
        b.putInt(at + RawEvent.MNT_NS, 0xF000_0001);
        b.putInt(at + RawEvent.PID_NS, 0xF000_0002);
        b.putInt(at + RawEvent.IPC_NS, 0xF000_0003);
        b.putInt(at + RawEvent.USER_NS, 0xF000_0004);
        b.putInt(at + RawEvent.CPU, 1);
        b.putInt(at + RawEvent.OFLAG, 0x42);
        b.putInt(at + RawEvent.MODE, 0600);
        b.putInt(at + RawEvent.NAME_ERROR, 0);
        b.putInt(at + RawEvent.ATTR_ERROR, 14);
        b.putShort(at + RawEvent.NAME_LEN, (short) name.length);
        b.put(at + RawEvent.NAME_TRUNCATED, (byte) (truncated ? 1 : 0));
        b.put(at + RawEvent.NAME_CHANGED, (byte) 1);
        b.put(at + RawEvent.HAS_ATTR, (byte) 1);
        b.put(at + RawEvent.PROBE, (byte) 3);
        b.put(at + RawEvent.API, (byte) 1);
        b.put(at + RawEvent.CREATED, (byte) 2);
        b.put(at + RawEvent.FLAGS, (byte) (RawEvent.F_LOGIN_UID | RawEvent.F_EXE));
        b.put(at + RawEvent.COMM, "worker\0junk".getBytes(StandardCharsets.US_ASCII));
        b.put(at + RawEvent.DATA, name);
        byte[] exe = "mq_open_helper".getBytes(StandardCharsets.US_ASCII);
        b.putShort(at + RawEvent.EXE_LEN, (short) exe.length);
        b.put(at + RawEvent.DATA + name.length + 1, exe);
    }

    /** Turns the record at {@code at} into a success on the queue {@code kname} (null: the same as the name). */
    static void succeed(ByteBuffer b, int at, byte[] kname) {
        b.putLong(at + RawEvent.RET, 5L);
        b.putLong(at + RawEvent.QUEUE_INO, 0x1_0000_0001L);
        b.putInt(at + RawEvent.QUEUE_IPC_NS, 0xF000_0005);
        b.putInt(at + RawEvent.QUEUE_MODE, 0600);
        b.putInt(at + RawEvent.QUEUE_UID, 1001);
        b.putInt(at + RawEvent.QUEUE_GID, 1002);
        b.put(at + RawEvent.CREATED, (byte) 1);
        int flags = b.get(at + RawEvent.FLAGS) | RawEvent.F_QUEUE;
        if (kname == null) {
            flags |= RawEvent.F_KNAME_SAME;
        } else {
            int nameLen = b.getShort(at + RawEvent.NAME_LEN);
            int exeLen = b.getShort(at + RawEvent.EXE_LEN);
            b.putShort(at + RawEvent.KNAME_LEN, (short) kname.length);
            b.put(at + RawEvent.DATA + nameLen + 1 + exeLen + 1, kname);
        }
        b.put(at + RawEvent.FLAGS, (byte) flags);
    }

    @Test
    void decodesEveryField() {
        ByteBuffer b = ByteBuffer.allocate(2 * RawEvent.SIZE).order(ByteOrder.nativeOrder());
        byte[] name = {'q', (byte) 0xff, 0x0a, 0x01};
        write(b, RawEvent.SIZE, name, false);

        MqOpenEvent e = RawEvent.decode(b, RawEvent.SIZE);

        assertThat(e.bootTimeNs()).isEqualTo(123_456_789_000L);
        assertThat(e.durationNs()).isEqualTo(4_321L);
        assertThat(e.cgroupId()).isEqualTo(0x1234_5678_9ABCL);
        assertThat(e.returnValue()).isEqualTo(-13L);
        assertThat(e.errno()).isEqualTo(13);
        assertThat(e.succeeded()).isFalse();
        assertThat(e.attrFlags()).isEqualTo(0x800L);
        assertThat(e.attrMaxmsg()).isEqualTo(10L);
        assertThat(e.attrMsgsize()).isEqualTo(8192L);
        assertThat(e.attrCurmsgs()).isZero();
        assertThat(e.pid()).isEqualTo(0xFFFF_FFF0L);
        assertThat(e.tid()).isEqualTo(4242L);
        assertThat(e.ppid()).isEqualTo(1L);
        assertThat(e.nsPid()).isEqualTo(7L);
        assertThat(e.nsTid()).isEqualTo(8L);
        assertThat(e.uid()).isEqualTo(65534L);
        assertThat(e.gid()).isEqualTo(65533L);
        assertThat(e.euid()).isZero();
        assertThat(e.fsuid()).isEqualTo(1001L);
        assertThat(e.loginUid()).isEqualTo(1000L);
        assertThat(e.mntNs()).isEqualTo(0xF000_0001L);
        assertThat(e.pidNs()).isEqualTo(0xF000_0002L);
        assertThat(e.ipcNs()).isEqualTo(0xF000_0003L);
        assertThat(e.userNs()).isEqualTo(0xF000_0004L);
        assertThat(e.processStartNs()).isEqualTo(777_000_000_123L);
        assertThat(e.cpu()).isEqualTo(1);
        assertThat(e.oflag()).isEqualTo(0x42);
        assertThat(e.mode()).isEqualTo(0600);
        assertThat(e.nameError()).isZero();
        assertThat(e.attrError()).isEqualTo(14);
        assertThat(e.name()).containsExactly(name);
        assertThat(e.nameTruncated()).isFalse();
        assertThat(e.nameChanged()).isTrue();
        assertThat(e.hasAttr()).isTrue();
        assertThat(e.probe()).isEqualTo(AttachMode.TRACEPOINT);
        assertThat(e.comm()).isEqualTo("worker");
        assertThat(e.exe()).containsExactly("mq_open_helper".getBytes(StandardCharsets.US_ASCII));
        assertThat(e.api()).isEqualTo(MqOpenEvent.Api.MQ_OPEN);
        assertThat(e.created()).as("2: unknown").isNull();
        assertThat(e.queue()).as("a failed call names no queue").isNull();
    }

    @Test
    void decodesTheQueueAndTheKernelsNameWhereItDiffers() {
        ByteBuffer b = ByteBuffer.allocate(RawEvent.SIZE).order(ByteOrder.nativeOrder());
        write(b, 0, "orders-a".getBytes(StandardCharsets.US_ASCII), false);
        succeed(b, 0, "orders-b".getBytes(StandardCharsets.US_ASCII));
        MqOpenEvent e = RawEvent.decode(b, 0);
        assertThat(e.succeeded()).isTrue();
        assertThat(e.created()).isTrue();
        assertThat(e.queue().inode()).isEqualTo(0x1_0000_0001L);
        assertThat(e.queue().ipcNs()).isEqualTo(0xF000_0005L);
        assertThat(e.queue().mode()).isEqualTo(0600);
        assertThat(e.queue().uid()).isEqualTo(1001L);
        assertThat(e.queue().gid()).isEqualTo(1002L);
        assertThat(e.kernelName()).containsExactly("orders-b".getBytes(StandardCharsets.US_ASCII));
        assertThat(e.name()).containsExactly("orders-a".getBytes(StandardCharsets.US_ASCII));
        assertThat(e.exe()).containsExactly("mq_open_helper".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aKernelNameEqualToTheNameIsNotSentTwice() {
        ByteBuffer b = ByteBuffer.allocate(RawEvent.SIZE).order(ByteOrder.nativeOrder());
        write(b, 0, "orders".getBytes(StandardCharsets.US_ASCII), false);
        succeed(b, 0, null);
        assertThat(RawEvent.decode(b, 0).kernelName()).containsExactly("orders".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void unsetLoginUidAndMissingExeAreNull() {
        ByteBuffer b = ByteBuffer.allocate(RawEvent.SIZE).order(ByteOrder.nativeOrder());
        write(b, 0, new byte[] {'a'}, false);
        b.put(RawEvent.FLAGS, (byte) 0);
        b.put(RawEvent.API, (byte) 2);
        b.put(RawEvent.CREATED, (byte) 0);
        MqOpenEvent e = RawEvent.decode(b, 0);
        assertThat(e.loginUid()).isNull();
        assertThat(e.exe()).isNull();
        assertThat(e.api()).isEqualTo(MqOpenEvent.Api.OPEN);
        assertThat(e.created()).isFalse();
    }

    @Test
    void decodesTheLongestNameAndTruncation() {
        ByteBuffer b = ByteBuffer.allocate(RawEvent.SIZE).order(ByteOrder.nativeOrder());
        byte[] name = new byte[255];
        java.util.Arrays.fill(name, (byte) 'x');
        write(b, 0, name, true);
        MqOpenEvent e = RawEvent.decode(b, 0);
        assertThat(e.name()).hasSize(255);
        assertThat(e.nameTruncated()).isTrue();
    }

    @Test
    void aLengthPastTheBufferIsClampedNotTrusted() {
        ByteBuffer b = ByteBuffer.allocate(RawEvent.SIZE).order(ByteOrder.nativeOrder());
        write(b, 0, new byte[0], false);
        b.putShort(RawEvent.NAME_LEN, (short) 999);
        b.putShort(RawEvent.EXE_LEN, (short) -1);
        b.putShort(RawEvent.KNAME_LEN, (short) 4000);
        b.put(RawEvent.FLAGS, (byte) (RawEvent.F_EXE | RawEvent.F_QUEUE));
        MqOpenEvent e = RawEvent.decode(b, 0);
        assertThat(e.name()).hasSize(RawEvent.NAME_MAX);
        assertThat(e.exe()).hasSize(RawEvent.NAME_MAX);
        assertThat(e.kernelName()).hasSize(RawEvent.NAME_MAX);
    }

    @Test
    void decodesRegardlessOfTheBuffersByteOrder() {
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        ByteBuffer b = ByteBuffer.allocate(RawEvent.SIZE).order(ByteOrder.nativeOrder());
        write(b, 0, new byte[] {'a'}, false);
        b.order(other);
        MqOpenEvent e = RawEvent.decode(b, 0);
        assertThat(e.tid()).isEqualTo(4242L);
        assertThat(e.nameString()).isEqualTo("a");
    }

    @Test
    void rejectsAnOffsetWithoutACompleteRecord() {
        ByteBuffer b = ByteBuffer.allocate(RawEvent.SIZE + 10);
        assertThatThrownBy(() -> RawEvent.decode(b, 11)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> RawEvent.decode(b, -1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void unknownProbeByteDecodesAsAuto() {
        ByteBuffer b = ByteBuffer.allocate(RawEvent.SIZE).order(ByteOrder.nativeOrder());
        b.put(RawEvent.PROBE, (byte) 9);
        assertThat(RawEvent.decode(b, 0).probe()).isEqualTo(AttachMode.AUTO);
    }

    @Test
    void aRecordOfAnUnknownCallTypeIsKeptWithItsCallerNotThrown() {
        ByteBuffer b = ByteBuffer.allocateDirect(2 * RawEvent.SIZE).order(ByteOrder.nativeOrder());
        write(b, RawEvent.SIZE, "/orders".getBytes(StandardCharsets.US_ASCII), false);
        b.put(RawEvent.SIZE + RawEvent.API, (byte) 0x7F);
        QueueEvent e = RawEvent.decodeAny(b, RawEvent.SIZE);
        assertThat(e).isInstanceOf(UnknownCallEvent.class);
        UnknownCallEvent u = (UnknownCallEvent) e;
        assertThat(u.api()).isEqualTo(0x7F);
        assertThat(u.returnValue()).isEqualTo(-13L);
        assertThat(u.bootTimeNs()).isEqualTo(123_456_789_000L);
        assertThat(u.probe()).isEqualTo(AttachMode.TRACEPOINT);
        assertThat(u.caller().pid()).isEqualTo(0xFFFF_FFF0L);
        assertThat(u.caller().comm()).isEqualTo("worker");
        assertThat(u.caller().exe()).isEqualTo("mq_open_helper".getBytes(StandardCharsets.US_ASCII));
    }

    /** Every api value over a record of all-ones bytes (lengths and flags at their maximum): decoded, never thrown. */
    @Test
    void oddBytesInEveryFieldDecodeForEveryApiValue() {
        ByteBuffer b = ByteBuffer.allocate(RawEvent.SIZE).order(ByteOrder.nativeOrder());
        for (int api = 0; api < 256; api++) {
            for (int i = 0; i < RawEvent.SIZE; i++) b.put(i, (byte) 0xFF);
            b.put(RawEvent.API, (byte) api);
            QueueEvent e = RawEvent.decodeAny(b, 0);
            assertThat(e.returnValue()).as("api %d", api).isEqualTo(-1L);
            boolean known = api >= RawEvent.API_MQ_OPEN && api <= RawEvent.API_FS_UNLINK;
            assertThat(e instanceof UnknownCallEvent).as("api %d is unknown", api).isEqualTo(!known);
        }
    }

    /** Every offset and size of RawEvent against offsetof()/sizeof() of the C struct, compiled into libmqtap.so. */
    @Test
    void layoutMatchesTheCHeader() {
        int[] c = NativeProbe.layout();
        assertThat(c[0]).as("sizeof(struct mq_open_event)").isEqualTo(RawEvent.SIZE);
        assertThat((c.length - 2) / 2).as("fields in the C layout table").isEqualTo(RawEvent.FIELDS.size());
        for (int i = 0; i < RawEvent.FIELDS.size(); i++) {
            RawEvent.Field f = RawEvent.FIELDS.get(i);
            assertThat(c[2 + 2 * i]).as("offsetof(%s)", f.name()).isEqualTo(f.offset());
            assertThat(c[3 + 2 * i]).as("sizeof(%s)", f.name()).isEqualTo(f.size());
        }
        // no gaps and no overlaps: the fields tile the struct exactly, so there is no implicit padding
        int end = 0;
        for (RawEvent.Field f : RawEvent.FIELDS) {
            assertThat(f.offset()).as("%s starts where the previous field ends", f.name()).isEqualTo(end);
            end = f.offset() + f.size();
        }
        assertThat(end).isEqualTo(RawEvent.SIZE);
    }
}
