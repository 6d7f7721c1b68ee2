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

    /**
     * What the running service still needs once the probe is attached: nothing from kernel 6.5 on (a bpf() call on a
     * map it already holds, its counters and filters, needs no capability there), and CAP_BPF before, where every
     * bpf() call needs it while {@code kernel.unprivileged_bpf_disabled} is set (Debian's default).
     */
    public static long neededAfterAttach() {
        return neededAfterAttach(read("/proc/sys/kernel/osrelease"), read("/proc/sys/kernel/unprivileged_bpf_disabled"));
    }

    static long neededAfterAttach(String release, String unprivilegedBpfDisabled) {
        if ("0".equals(unprivilegedBpfDisabled)) return 0;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release == null ? "" : release);
        boolean from65 = m.find() && (Integer.parseInt(m.group(1)) > 6 || Integer.parseInt(m.group(1)) == 6 && Integer.parseInt(m.group(2)) >= 5);
        return from65 ? 0 : 1L << CAP_BPF;
    }

    /**
     * Lowers every thread of this JVM to {@code keep} (bit n: capability n) in its effective and permitted sets,
     * empties the inheritable and ambient sets, and the bounding set where CAP_SETPCAP allows. Capabilities are per
     * thread, so each thread is reached (a signal handler in libmqtap) and checked in /proc/self/task. Returns how
     * many threads held more; throws naming the reason when a thread could not be lowered.
     */
    public static int dropAllThreads(long keep) {
        NativeLibrary.load();
        String[] msg = new String[1];
        int rc = dropAllThreads0(keep, msg);
        if (rc < 0) {
            throw new IllegalStateException("Failed to drop capabilities on every thread: " + (msg[0] != null ? msg[0] + " " : "")
                    + "(" + NativeProbe.errnoName(-rc) + ")");
        }
        return rc;
    }

    /** Capability names of a mask, e.g. "CAP_BPF" or "none". */
    public static String names(long mask) {
        if (mask == 0) return "none";
        List<String> out = new ArrayList<>();
        for (int cap = 0; cap < 64; cap++) {
            if ((mask >>> cap & 1) == 0) continue;
            out.add(cap == CAP_BPF ? "CAP_BPF" : cap == CAP_PERFMON ? "CAP_PERFMON" : cap == CAP_SYS_ADMIN ? "CAP_SYS_ADMIN" : "capability " + cap);
        }
        return String.join(", ", out);
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException e) {
            return null;
        }
    }

    private static native int dropAllThreads0(long keep, String[] msg);

    /** "pid 42, uid root, CapEff 000001ffffffffff" (or "CapEff unknown"), for messages. */
    public static String describe() {
        OptionalLong caps = effective();
        return "pid " + ProcessHandle.current().pid() + ", uid " + System.getProperty("user.name") + ", CapEff "
                + (caps.isPresent() ? String.format("%016x", caps.getAsLong()) : "unknown");
    }
}
