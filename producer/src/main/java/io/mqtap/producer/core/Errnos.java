package io.mqtap.producer.core;

/** Linux errno numbers to their symbolic names (x86_64 / asm-generic values). */
public final class Errnos {
    private static final String[] NAMES = new String[134];

    static {
        String table = "1 EPERM 2 ENOENT 3 ESRCH 4 EINTR 5 EIO 6 ENXIO 7 E2BIG 8 ENOEXEC 9 EBADF 10 ECHILD "
                + "11 EAGAIN 12 ENOMEM 13 EACCES 14 EFAULT 15 ENOTBLK 16 EBUSY 17 EEXIST 18 EXDEV 19 ENODEV "
                + "20 ENOTDIR 21 EISDIR 22 EINVAL 23 ENFILE 24 EMFILE 25 ENOTTY 26 ETXTBSY 27 EFBIG 28 ENOSPC "
                + "29 ESPIPE 30 EROFS 31 EMLINK 32 EPIPE 33 EDOM 34 ERANGE 35 EDEADLK 36 ENAMETOOLONG 37 ENOLCK "
                + "38 ENOSYS 39 ENOTEMPTY 40 ELOOP 42 ENOMSG 43 EIDRM 61 ENODATA 62 ETIME 75 EOVERFLOW "
                + "84 EILSEQ 95 EOPNOTSUPP 110 ETIMEDOUT 122 EDQUOT 125 ECANCELED";
        String[] t = table.split(" ");
        for (int i = 0; i < t.length; i += 2) NAMES[Integer.parseInt(t[i])] = t[i + 1];
    }

    private Errnos() {}

    /** "ENOENT" for 2 (or -2); "E<n>" for a number without a known name. */
    public static String name(int errno) {
        int e = Math.abs(errno);
        String n = e < NAMES.length ? NAMES[e] : null;
        return n != null ? n : "E" + e;
    }

    /** The symbolic errno of a syscall return value, or null for success. */
    public static String ofReturn(long returnValue) {
        return returnValue < 0 ? name((int) -returnValue) : null;
    }
}
