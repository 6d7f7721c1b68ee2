package io.mqtap.capture;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One mq_open call, as the probe saw it: context at entry, arguments, and the result at exit.
 *
 * @param bootTimeNs  kernel time at entry, ns since boot (CLOCK_BOOTTIME)
 * @param cpu         CPU at entry
 * @param pid         process id (tgid); {@code tid} the thread id; {@code ppid} the real parent's tgid
 * @param nsPid       the pid as seen inside its own pid namespace
 * @param comm        the thread's comm (up to 15 bytes)
 * @param mntNs       mount namespace inode number; {@code pidNs} pid namespace inode number
 * @param name        the name bytes exactly as read (no leading '/' for glibc callers), at most 255
 * @param nameTruncated the name was longer than 255 bytes
 * @param nameError   0, or the errno of the failed name read (e.g. EFAULT for NULL)
 * @param nameChanged the name read again at exit differed from the one read at entry
 * @param hasAttr     an attr pointer was given; the four attr fields are its values (0 when unreadable)
 * @param returnValue the fd, or -errno
 * @param probe       the hook set that produced the event
 * @param durationNs  exit minus entry
 * @param attrError   0, or the errno of the failed attr read
 */
public record MqOpenEvent(long bootTimeNs, int cpu, long pid, long tid, long ppid, long nsPid, long uid, long gid,
                          String comm, long cgroupId, long mntNs, long pidNs, byte[] name, boolean nameTruncated,
                          int nameError, boolean nameChanged, int oflag, int mode, boolean hasAttr, long attrFlags,
                          long attrMaxmsg, long attrMsgsize, long attrCurmsgs, long returnValue, AttachMode probe,
                          long durationNs, int attrError) {

    /** True when the call returned a descriptor. */
    public boolean succeeded() {
        return returnValue >= 0;
    }

    /** The call's errno, 0 on success. */
    public int errno() {
        return returnValue < 0 ? (int) -returnValue : 0;
    }

    /** The name decoded as UTF-8, malformed bytes replaced; use {@link #name()} for the exact bytes. */
    public String nameString() {
        return new String(name, StandardCharsets.UTF_8);
    }

    public String nameHex() {
        return HexFormat.of().formatHex(name);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MqOpenEvent e && bootTimeNs == e.bootTimeNs && cpu == e.cpu && pid == e.pid && tid == e.tid
                && ppid == e.ppid && nsPid == e.nsPid && uid == e.uid && gid == e.gid && comm.equals(e.comm)
                && cgroupId == e.cgroupId && mntNs == e.mntNs && pidNs == e.pidNs && Arrays.equals(name, e.name)
                && nameTruncated == e.nameTruncated && nameError == e.nameError && nameChanged == e.nameChanged
                && oflag == e.oflag && mode == e.mode && hasAttr == e.hasAttr && attrFlags == e.attrFlags
                && attrMaxmsg == e.attrMaxmsg && attrMsgsize == e.attrMsgsize && attrCurmsgs == e.attrCurmsgs
                && returnValue == e.returnValue && probe == e.probe && durationNs == e.durationNs
                && attrError == e.attrError;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bootTimeNs) * 31 + Long.hashCode(tid) * 17 + Arrays.hashCode(name);
    }

    @Override
    public String toString() {
        return "MqOpenEvent{pid=" + pid + ", tid=" + tid + ", comm=" + comm + ", uid=" + uid + ", name=" + nameHex()
                + (nameTruncated ? " (truncated)" : "") + (nameError != 0 ? " (nameError=" + nameError + ")" : "")
                + (nameChanged ? " (changed)" : "") + ", oflag=0x" + Integer.toHexString(oflag) + ", mode=0"
                + Integer.toOctalString(mode) + (hasAttr ? ", attr={flags=" + attrFlags + ", maxmsg=" + attrMaxmsg
                + ", msgsize=" + attrMsgsize + ", curmsgs=" + attrCurmsgs + "}" : "") + ", ret=" + returnValue
                + ", probe=" + probe.label() + ", bootTimeNs=" + bootTimeNs + "}";
    }
}
