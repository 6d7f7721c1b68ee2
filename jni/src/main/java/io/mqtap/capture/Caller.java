package io.mqtap.capture;

import java.util.Arrays;
import java.util.Objects;

/**
 * Who made a call, as the kernel's task structures said at the call (the fields every event carries).
 *
 * @param cpu            CPU the call ran on
 * @param pid            process id (tgid) in the initial pid namespace; {@code tid} the thread; {@code ppid} the real parent
 * @param nsPid          pid inside the caller's own pid namespace; {@code nsTid} its thread id there
 * @param uid            real uid; {@code gid} real gid; {@code euid} effective uid; {@code fsuid} fs uid
 * @param loginUid       audit login uid, null when unset
 * @param comm           the thread's comm
 * @param exe            the executable's file name, null when the process has none
 * @param cgroupId       cgroup v2 id; {@code mntNs}, {@code pidNs}, {@code userNs}, {@code ipcNs} namespace inode numbers
 * @param processStartNs when the process started, ns since boot
 */
public record Caller(int cpu, long pid, long tid, long ppid, long nsPid, long nsTid, long uid, long gid, long euid, long fsuid,
                     Long loginUid, String comm, byte[] exe, long cgroupId, long mntNs, long pidNs, long userNs, long ipcNs,
                     long processStartNs) {

    @Override
    public boolean equals(Object o) {
        return o instanceof Caller c && cpu == c.cpu && pid == c.pid && tid == c.tid && ppid == c.ppid && nsPid == c.nsPid
                && nsTid == c.nsTid && uid == c.uid && gid == c.gid && euid == c.euid && fsuid == c.fsuid
                && Objects.equals(loginUid, c.loginUid) && comm.equals(c.comm) && Arrays.equals(exe, c.exe)
                && cgroupId == c.cgroupId && mntNs == c.mntNs && pidNs == c.pidNs && userNs == c.userNs && ipcNs == c.ipcNs
                && processStartNs == c.processStartNs;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(tid) * 31 + Long.hashCode(processStartNs);
    }

    @Override
    public String toString() {
        return "Caller{pid=" + pid + ", tid=" + tid + ", comm=" + comm + ", exe=" + (exe == null ? "null" : NameCodec.decode(exe))
                + ", uid=" + uid + ", euid=" + euid + ", ipcNs=" + ipcNs + ", processStartNs=" + processStartNs + "}";
    }
}
