package io.mqtap.testkit.mqgen;

import java.util.HexFormat;
import java.util.Map;

/**
 * One mq_open call the helper made, as it printed it. {@code ret} is the kernel's result (fd or
 * -errno); {@code nameKind} is "bytes", "null" or "unmapped".
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

    static HelperCall of(Map<String, Object> m) {
        return new HelperCall(i(m, "seq"), l(m, "pid"), l(m, "tid"), l(m, "uid"), l(m, "gid"), (String) m.get("comm"),
                (String) m.get("name_hex"), (String) m.get("name_kind"), i(m, "oflag"), i(m, "mode"),
                Boolean.TRUE.equals(m.get("has_attr")), l(m, "attr_flags"), l(m, "attr_maxmsg"), l(m, "attr_msgsize"),
                l(m, "attr_curmsgs"), l(m, "ret"), i(m, "errno"));
    }

    static long l(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof Long n)) throw new IllegalArgumentException("helper output lacks integer '" + k + "': " + m);
        return n;
    }

    static int i(Map<String, Object> m, String k) {
        return (int) l(m, k);
    }
}
