package io.mqtap.capture;

/**
 * Errno numbers to their symbolic names, from the one table there is: glibc's ({@code strerrorname_np}),
 * read through libmqtap once, so the names in records match those in the C library's error messages.
 */
public final class Errnos {
    /** Linux errno values are below this (the kernel's own table ends at 133). */
    private static final int LIMIT = 256;
    private static final String[] NAMES = new String[LIMIT];

    static {
        for (int e = 1; e < LIMIT; e++) NAMES[e] = NativeProbe.errnoName(e);
    }

    private Errnos() {}

    /** "ENOENT" for 2 (or -2); "E&lt;n&gt;" for a number without a known name. */
    public static String name(int errno) {
        int e = Math.abs(errno);
        String n = e < LIMIT ? NAMES[e] : null;
        return n != null ? n : "E" + e;
    }

    /** The symbolic errno of a syscall return value, or null for success. */
    public static String ofReturn(long returnValue) {
        return returnValue < 0 ? name((int) -returnValue) : null;
    }
}
