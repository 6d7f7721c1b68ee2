package io.mqtap.capture;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Kernel features the probe uses where the kernel has them, found at load time by libbpf's feature
 * probes. Without them (5.10) the probe falls back, losing no field: the bits match enum mqtap_feature.
 */
public enum ProbeFeature {
    /** Task storage in tracing programs (5.11+): entry/exit pairing in place; else an LRU hash keyed by tid. */
    TASK_STORAGE(1, "task storage", "LRU hash by tid"),
    /** {@code bpf_get_current_task_btf} (5.11+): direct task loads; else {@code bpf_get_current_task} and CO-RE reads. */
    TASK_BTF(2, "BTF task pointer", "CO-RE probe reads"),
    /**
     * Tracepoint mode on a kernel with IA-32 emulation: raw_syscalls hooks catch 32-bit callers, whose
     * compat calls the syscall tracepoints skip (the do_mq_open hooks see them without help).
     */
    COMPAT32_HOOKS(4, "raw_syscalls hooks", null),
    /**
     * {@code bpf_rdonly_cast} (6.2+, with {@link #TASK_BTF}): a descriptor's file and inode read by loads; else a
     * {@code bpf_probe_read_kernel} each (on every send, receive and open on the host).
     */
    RDONLY_CAST(8, "loads (bpf_rdonly_cast)", "probe reads");

    private final int bit;
    private final String used, fallback;

    ProbeFeature(int bit, String used, String fallback) {
        this.bit = bit;
        this.used = used;
        this.fallback = fallback;
    }

    /** The bit of enum mqtap_feature (libmqtap's and mqtap_c_reader's {@code --without}). */
    public int bit() {
        return bit;
    }

    static Set<ProbeFeature> of(int bits) {
        Set<ProbeFeature> s = EnumSet.noneOf(ProbeFeature.class);
        for (ProbeFeature f : values()) if ((bits & f.bit) != 0) s.add(f);
        return s;
    }

    static int bits(Set<ProbeFeature> features) {
        int b = 0;
        for (ProbeFeature f : features) b |= f.bit;
        return b;
    }

    /** True for a feature whose absence makes the probe take a fallback path. */
    boolean hasFallback() {
        return fallback != null;
    }

    /** e.g. "pairing: task storage, task: BTF task pointer" or "pairing: LRU hash by tid (fallback), ...". */
    public static String describe(Set<ProbeFeature> used) {
        return java.util.Arrays.stream(values()).filter(f -> f.hasFallback() || used.contains(f))
                .map(f -> f.role() + ": " + (used.contains(f) ? f.used : f.fallback + " (fallback)"))
                .collect(Collectors.joining(", "));
    }

    private String role() {
        return switch (this) {
            case TASK_STORAGE -> "pairing";
            case TASK_BTF -> "task";
            case COMPAT32_HOOKS -> "32-bit callers";
            case RDONLY_CAST -> "files";
        };
    }
}
