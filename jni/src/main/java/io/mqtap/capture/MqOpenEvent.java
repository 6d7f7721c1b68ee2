package io.mqtap.capture;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One open of a POSIX message queue, as the probe saw it: who, the arguments, the result, and for a
 * success the queue the returned descriptor names.
 *
 * @param bootTimeNs  kernel time at entry, ns since boot (CLOCK_BOOTTIME); for {@link Api#OPEN}, at exit
 * @param cpu         CPU at entry
 * @param pid         process id (tgid); {@code tid} the thread id; {@code ppid} the real parent's tgid
 * @param nsPid       the pid as seen inside its own pid namespace
 * @param comm        the thread's comm (up to 15 bytes)
 * @param mntNs       mount namespace inode number; {@code pidNs} pid namespace inode number
 * @param name        mq_open: the name bytes read from user memory at entry (no leading '/' for glibc
 *                    callers), at most 255; open: the path argument, read at exit
 * @param nameTruncated the name was longer than 255 bytes
 * @param nameError   0, or the errno of the failed name read (e.g. EFAULT for NULL or a page not yet mapped)
 * @param nameChanged the name the call used differs from the one read at entry (see MqOpen.nameChanged)
 * @param hasAttr     an attr pointer was given; the four attr fields are its values (0 when unreadable)
 * @param returnValue the fd, or -errno
 * @param probe       the hook set that produced the event
 * @param durationNs  exit minus entry (0 when unknown: opens through the filesystem have no entry hook)
 * @param attrError   0, or the errno of the failed attr read
 * @param nsTid       the thread id as seen inside its own pid namespace
 * @param euid        effective uid; {@code fsuid} the fs uid (what queue creation and permission checks use)
 * @param loginUid    audit login uid, or null when unset (or the kernel has no audit)
 * @param userNs      inode number of the user namespace of the caller's credentials
 * @param ipcNs       inode number of the caller's IPC namespace
 * @param processStartNs the process's start time, ns since boot: with pid, it names one process across pid reuse
 * @param exe         the file name of the process's executable (mm->exe_file), or null when it has none
 * @param api         which way into the queue
 * @param created     true when this call created the queue, null when this hook set cannot tell
 * @param queue       the queue the returned descriptor names, or null (the call failed, or the descriptor
 *                    no longer named a queue at exit)
 */
public record MqOpenEvent(long bootTimeNs, int cpu, long pid, long tid, long ppid, long nsPid, long uid, long gid,
                          String comm, long cgroupId, long mntNs, long pidNs, byte[] name, boolean nameTruncated,
                          int nameError, boolean nameChanged, int oflag, int mode, boolean hasAttr, long attrFlags,
                          long attrMaxmsg, long attrMsgsize, long attrCurmsgs, long returnValue, AttachMode probe,
                          long durationNs, int attrError, long nsTid, long euid, long fsuid, Long loginUid,
                          long userNs, long ipcNs, long processStartNs, byte[] exe, Api api, Boolean created,
                          Queue queue) implements QueueEvent {

    /** The way a queue was opened. */
    public enum Api {
        /** mq_open(2) */
        MQ_OPEN,
        /** open, openat, openat2 or creat of a file on an mqueue filesystem */
        OPEN;

        private final String label = name().toLowerCase(java.util.Locale.ROOT);

        /** "mq_open" or "open", as the record's {@code api} field spells it. */
        public String label() {
            return label;
        }
    }

    /**
     * The queue a successful call's descriptor names, read from the kernel at exit.
     *
     * @param ipcNs      inode number of the IPC namespace the queue belongs to (its mqueue superblock's)
     * @param inode      the queue's inode number
     * @param mode       its permission bits, after the umask (i_mode &amp; 07777)
     * @param uid        owner uid; {@code gid} owner gid
     * @param kernelName the queue's name as the kernel has it (its dentry's name, without a '/'), or null
     *                   when it could not be read
     */
    public record Queue(long ipcNs, long inode, int mode, long uid, long gid, byte[] kernelName) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Queue q && ipcNs == q.ipcNs && inode == q.inode && mode == q.mode && uid == q.uid
                    && gid == q.gid && Arrays.equals(kernelName, q.kernelName);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(inode) * 31 + Arrays.hashCode(kernelName);
        }

        @Override
        public String toString() {
            return "Queue{ipcNs=" + ipcNs + ", inode=" + inode + ", mode=0" + Integer.toOctalString(mode) + ", uid=" + uid
                    + ", gid=" + gid + ", kernelName=" + (kernelName == null ? "null" : NameCodec.decode(kernelName)) + "}";
        }
    }

    /** An mq_open event with only the fields of the first event layout (the rest: the caller's real ids, unknown). */
    public MqOpenEvent(long bootTimeNs, int cpu, long pid, long tid, long ppid, long nsPid, long uid, long gid,
                       String comm, long cgroupId, long mntNs, long pidNs, byte[] name, boolean nameTruncated,
                       int nameError, boolean nameChanged, int oflag, int mode, boolean hasAttr, long attrFlags,
                       long attrMaxmsg, long attrMsgsize, long attrCurmsgs, long returnValue, AttachMode probe,
                       long durationNs, int attrError) {
        this(bootTimeNs, cpu, pid, tid, ppid, nsPid, uid, gid, comm, cgroupId, mntNs, pidNs, name, nameTruncated,
                nameError, nameChanged, oflag, mode, hasAttr, attrFlags, attrMaxmsg, attrMsgsize, attrCurmsgs,
                returnValue, probe, durationNs, attrError, tid, uid, uid, null, 0, 0, 0, null, Api.MQ_OPEN, null, null);
    }

    /** The caller fields of this event as one value (shared with the events of the other calls). */
    @Override
    public Caller caller() {
        return new Caller(cpu, pid, tid, ppid, nsPid, nsTid, uid, gid, euid, fsuid, loginUid, comm, exe, cgroupId, mntNs, pidNs,
                userNs, ipcNs, processStartNs);
    }

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

    /** The kernel's name of the queue opened, or null. */
    public byte[] kernelName() {
        return queue == null ? null : queue.kernelName();
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
                && attrError == e.attrError && nsTid == e.nsTid && euid == e.euid && fsuid == e.fsuid
                && Objects.equals(loginUid, e.loginUid) && userNs == e.userNs && ipcNs == e.ipcNs
                && processStartNs == e.processStartNs && Arrays.equals(exe, e.exe) && api == e.api
                && Objects.equals(created, e.created) && Objects.equals(queue, e.queue);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bootTimeNs) * 31 + Long.hashCode(tid) * 17 + Arrays.hashCode(name);
    }

    @Override
    public String toString() {
        return "MqOpenEvent{api=" + api.label() + ", pid=" + pid + ", tid=" + tid + ", comm=" + comm
                + ", exe=" + (exe == null ? "null" : NameCodec.decode(exe)) + ", uid=" + uid + ", euid=" + euid
                + ", fsuid=" + fsuid + ", name=" + nameHex()
                + (nameTruncated ? " (truncated)" : "") + (nameError != 0 ? " (nameError=" + nameError + ")" : "")
                + (nameChanged ? " (changed)" : "") + ", oflag=0x" + Integer.toHexString(oflag) + ", mode=0"
                + Integer.toOctalString(mode) + (hasAttr ? ", attr={flags=" + attrFlags + ", maxmsg=" + attrMaxmsg
                + ", msgsize=" + attrMsgsize + ", curmsgs=" + attrCurmsgs + "}" : "") + ", ret=" + returnValue
                + ", created=" + created + ", queue=" + queue + ", ipcNs=" + ipcNs
                + ", probe=" + probe.label() + ", bootTimeNs=" + bootTimeNs + "}";
    }
}
