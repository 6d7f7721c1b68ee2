package io.mqtap.capture;

/**
 * The service manager's notification protocol (sd_notify): readiness, the watchdog keep-alive and stopping,
 * sent through libmqtap (Java has no AF_UNIX datagram sockets). Outside systemd ({@code NOTIFY_SOCKET}
 * unset) every call does nothing.
 */
public final class Systemd {
    private Systemd() {}

    static {
        NativeLibrary.load();
    }

    /** True when the service manager listens ({@code Type=notify}). */
    public static boolean notifying() {
        String s = System.getenv("NOTIFY_SOCKET");
        return s != null && !s.isEmpty();
    }

    /** The watchdog interval systemd expects pings within, in microseconds ({@code WatchdogSec=}), or 0 when none. */
    public static long watchdogMicros() {
        try {
            String pid = System.getenv("WATCHDOG_PID");
            if (pid != null && !pid.equals(Long.toString(ProcessHandle.current().pid()))) return 0; // meant for another process
            String us = System.getenv("WATCHDOG_USEC");
            return us == null ? 0 : Long.parseLong(us.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Sends {@code state} (e.g. "READY=1") to $NOTIFY_SOCKET; false when not under systemd. */
    public static boolean notify(String state) {
        return notifying() && notify(System.getenv("NOTIFY_SOCKET"), state);
    }

    /** Sends {@code state} to the socket at {@code path}; throws naming the errno when it can't. */
    public static boolean notify(String path, String state) {
        int rc = notify0(path, state);
        if (rc < 0)
            throw new IllegalStateException("sd_notify(" + path + ", " + state.replace('\n', ' ') + ") failed: "
                    + NativeProbe.strerror(-rc) + " (" + NativeProbe.errnoName(-rc) + ")");
        return rc > 0;
    }

    private static native int notify0(String path, String state);
}
