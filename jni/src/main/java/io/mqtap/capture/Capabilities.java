package io.mqtap.capture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The effective capabilities of this process, from /proc/self/status, for messages a user can act on. */
final class Capabilities {
    static final int CAP_SYS_ADMIN = 21, CAP_PERFMON = 38, CAP_BPF = 39;

    private Capabilities() {}

    static long effective() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) return Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        } catch (IOException | NumberFormatException e) {
            return -1; // unknown: let the kernel decide
        }
        return -1;
    }

    static boolean has(long caps, int cap) {
        return (caps >>> cap & 1) != 0;
    }

    /** CAP_BPF with CAP_PERFMON (kernel 5.8+), or CAP_SYS_ADMIN; true when unknown. */
    static boolean canLoadBpf() {
        long caps = effective();
        return caps == -1 || (has(caps, CAP_BPF) && has(caps, CAP_PERFMON)) || has(caps, CAP_SYS_ADMIN);
    }

    static String describe() {
        return "pid " + ProcessHandle.current().pid() + ", uid " + System.getProperty("user.name") + ", CapEff "
                + Long.toHexString(effective());
    }
}
