package io.mqtap.testkit.mqgen;

import java.util.HexFormat;

/**
 * One call mq_life_helper made, as it printed it (snake_case keys; see mqgen/mq_life_helper.c). {@code call} is
 * "open", "send", "receive", "notify", "getsetattr" or "unlink"; {@code ret} the kernel's result (-errno on
 * failure); fields that do not apply to the call are -1; {@code ino} is the queue's inode when the descriptor
 * names one (fstat), else -1.
 */
public record LifeCall(int seq, String call, long pid, long tid, long uid, long euid, String comm, int fd, String nameHex, long ret,
                       int errno, long size, long prio, long timeout, long kind, long signo, long newFlags, long oldFlags,
                       long oldMaxmsg, long oldMsgsize, long oldCurmsgs, long ino, long ipcNs, long startTicks) {

    /** The name bytes passed (open, unlink). */
    public byte[] name() {
        return HexFormat.of().parseHex(nameHex);
    }

    public boolean succeeded() {
        return ret >= 0;
    }
}
