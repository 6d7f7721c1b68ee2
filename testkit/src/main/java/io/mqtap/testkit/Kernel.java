package io.mqtap.testkit;

import org.junit.jupiter.api.Assumptions;

/** Gate for tests that need the real kernel: skip on a developer's box, fail in CI (-Dmqtap.requireKernel=true). */
public final class Kernel {
    private Kernel() {}

    /** True when a missing kernel capability must fail the test instead of skipping it. */
    public static boolean required() {
        return Boolean.getBoolean("mqtap.requireKernel") || "1".equals(System.getenv("MQTAP_REQUIRE_KERNEL"));
    }

    /** Skips (or, when required, fails) the calling test unless {@code available}; {@code why} says what is missing. */
    public static void assume(boolean available, String why) {
        if (available) return;
        if (required()) throw new AssertionError("kernel test cannot run, and CI requires it: " + why);
        Assumptions.abort("kernel test skipped: " + why);
    }

    /** Root (or CAP_BPF + CAP_PERFMON) and BTF: what every probe test needs. */
    public static void assumeBpf() {
        assume(new java.io.File("/sys/kernel/btf/vmlinux").canRead(), "no BTF at /sys/kernel/btf/vmlinux");
        assume(isRoot(), "not root: loading BPF programs needs CAP_BPF and CAP_PERFMON");
    }

    static boolean isRoot() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) return line.split("\\s+")[2].equals("0");
            }
        } catch (java.io.IOException e) {
            return false;
        }
        return false;
    }
}
