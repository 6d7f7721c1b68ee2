package io.mqtap.testkit.mqgen;

import java.util.HexFormat;

/**
 * One call the helper made, as it printed it. {@code ret} is the kernel's result (fd or -errno);
 * {@code nameKind} is "bytes", "null" or "unmapped"; {@code via} the syscall ("mq_open", "open",
 * "openat", "openat2", "creat"). For a success, {@code ino}, {@code qmode}, {@code quid},
 * {@code qgid} are fstat() of the returned descriptor (-1 otherwise); {@code loginUid} is
 * 4294967295 when unset; {@code startTicks} is the process's start in clock ticks since boot.
 * Read from the helper's JSON line (snake_case keys).
 */
public record HelperCall(int seq, long pid, long tid, long uid, long gid, String comm, String nameHex, String nameKind,
                         int oflag, int mode, boolean hasAttr, long attrFlags, long attrMaxmsg, long attrMsgsize,
                         long attrCurmsgs, long ret, int errno, String via, long ino, int qmode, long quid, long qgid,
                         long euid, long fsuid, long loginUid, long ipcNs, long pidNs, long startTicks) {

    /** The name bytes passed (empty for a null or unmapped pointer). */
    public byte[] name() {
        return HexFormat.of().parseHex(nameHex);
    }

    public boolean succeeded() {
        return ret >= 0;
    }
}
