package io.mqtap.demo;

import io.mqtap.capture.Capabilities;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Can this process load and attach an eBPF program? Says what is missing and how to get it. */
final class Privileges {
    private Privileges() {}

    /** Null when the probe can load here (as far as this process can tell), else a message for the user. */
    static String problem() {
        if (!Files.isReadable(Path.of("/sys/kernel/btf/vmlinux"))) {
            return "this kernel has no BTF (/sys/kernel/btf/vmlinux): mqtap's CO-RE probe needs a kernel built with"
                    + " CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, Fedora and RHEL kernels have it)";
        }
        List<String> missing = Capabilities.missingForProbe();
        if (missing.isEmpty()) return null;
        return "mqtap needs CAP_BPF and CAP_PERFMON to load its eBPF probe, and this process lacks "
                + (missing.size() == 2 ? "both" : missing.get(0))
                + ".\n  Run it as root:        sudo ./mqtap demo"
                + "\n  or grant just those:   sudo setcap cap_bpf,cap_perfmon+ep \"$(readlink -f \"$(command -v java)\")\"";
    }
}
