package io.mqtap.producer.core;

import java.util.ArrayList;
import java.util.List;

/** mq_open's oflag as names: the access mode, then the known bits, then leftover bits in hex. */
public final class OpenFlags {
    // x86_64 / generic Linux values (asm-generic/fcntl.h)
    static final int O_ACCMODE = 03;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NONBLOCK = 04000;
    static final int O_CLOEXEC = 02000000;

    private static final String[] ACCESS = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};

    private OpenFlags() {}

    public static List<String> names(int oflag) {
        List<String> out = new ArrayList<>(4);
        out.add(ACCESS[oflag & O_ACCMODE]);
        int rest = oflag & ~O_ACCMODE;
        rest = take(out, rest, O_CREAT, "O_CREAT");
        rest = take(out, rest, O_EXCL, "O_EXCL");
        rest = take(out, rest, O_NONBLOCK, "O_NONBLOCK");
        rest = take(out, rest, O_CLOEXEC, "O_CLOEXEC");
        if (rest != 0) out.add("0x" + Integer.toHexString(rest));
        return out;
    }

    private static int take(List<String> out, int bits, int flag, String name) {
        if ((bits & flag) == 0) return bits;
        out.add(name);
        return bits & ~flag;
    }
}
