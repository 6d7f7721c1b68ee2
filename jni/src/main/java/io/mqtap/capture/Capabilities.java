package io.mqtap.capture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The one place that reads this process's effective capabilities (/proc/self/status) and says what loading the
 * probe lacks. When the set can't be read it is unknown, and nothing is reported missing: the kernel decides, and
 * its refusal is reported as such.
 */
public final class Capabilities {
    public static final int CAP_SYS_ADMIN = 21, CAP_PERFMON = 38, CAP_BPF = 39;

    private Capabilities() {}

    /** The effective set; empty when it can't be read. */
    public static OptionalLong effective() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) return OptionalLong.of(Long.parseUnsignedLong(line.substring(7).trim(), 16));
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    /** True when the effective set is known and holds {@code cap}. */
    public static boolean holds(int cap) {
        OptionalLong caps = effective();
        return caps.isPresent() && (caps.getAsLong() >>> cap & 1) != 0;
    }

    /**
     * What this process lacks to load the probe: "CAP_BPF", "CAP_PERFMON", both, or none (it holds both, or
     * CAP_SYS_ADMIN, which covers both, or the set is unknown).
     */
    public static List<String> missingForProbe() {
        OptionalLong caps = effective();
        List<String> missing = new ArrayList<>(2);
        if (caps.isEmpty() || (caps.getAsLong() >>> CAP_SYS_ADMIN & 1) != 0) return missing;
        if ((caps.getAsLong() >>> CAP_BPF & 1) == 0) missing.add("CAP_BPF");
        if ((caps.getAsLong() >>> CAP_PERFMON & 1) == 0) missing.add("CAP_PERFMON");
        return missing;
    }

    /** "pid 42, uid root, CapEff 000001ffffffffff" (or "CapEff unknown"), for messages. */
    public static String describe() {
        OptionalLong caps = effective();
        return "pid " + ProcessHandle.current().pid() + ", uid " + System.getProperty("user.name") + ", CapEff "
                + (caps.isPresent() ? String.format("%016x", caps.getAsLong()) : "unknown");
    }
}
