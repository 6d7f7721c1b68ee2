package io.mqtap.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Can this process load and attach an eBPF program? Says what is missing and how to get it. */
final class Privileges {
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_PERFMON = 38;
    private static final int CAP_BPF = 39;

    private Privileges() {}

    /** Null when the probe can load here, else a message for the user. */
    static String problem() {
        if (!Files.isReadable(Path.of("/sys/kernel/btf/vmlinux"))) {
            return "this kernel has no BTF (/sys/kernel/btf/vmlinux): mqtap's CO-RE probe needs a kernel built with"
                    + " CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, Fedora and RHEL kernels have it)";
        }
        long eff = effectiveCaps();
        boolean bpf = has(eff, CAP_BPF) || has(eff, CAP_SYS_ADMIN);
        boolean perfmon = has(eff, CAP_PERFMON) || has(eff, CAP_SYS_ADMIN);
        if (bpf && perfmon) return null;
        return "mqtap needs CAP_BPF and CAP_PERFMON to load its eBPF probe, and this process lacks "
                + (bpf ? "CAP_PERFMON" : perfmon ? "CAP_BPF" : "both")
                + ".\n  Run it as root:        sudo ./mqtap demo"
                + "\n  or grant just those:   sudo setcap cap_bpf,cap_perfmon+ep \"$(readlink -f \"$(command -v java)\")\"";
    }

    private static boolean has(long caps, int cap) {
        return (caps & (1L << cap)) != 0;
    }

    private static long effectiveCaps() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) return Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        } catch (IOException | NumberFormatException e) {
            // unknown: report it as missing below
        }
        return 0;
    }
}
