package io.mqtap.testkit.mqgen;

import java.util.HexFormat;

/**
 * One mq_open call the helper made, as it printed it. {@code ret} is the kernel's result (fd or
 * -errno); {@code nameKind} is "bytes", "null" or "unmapped". Read from the helper's JSON line (snake_case keys).
 */
public record HelperCall(int seq, long pid, long tid, long uid, long gid, String comm, String nameHex, String nameKind,
                         int oflag, int mode, boolean hasAttr, long attrFlags, long attrMaxmsg, long attrMsgsize,
                         long attrCurmsgs, long ret, int errno) {

    /** The name bytes passed (empty for a null or unmapped pointer). */
    public byte[] name() {
        return HexFormat.of().parseHex(nameHex);
    }

    public boolean succeeded() {
        return ret >= 0;
    }
}
