package io.mqtap.capture;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which hook set carries the events. {@link #AUTO} tries {@link #FENTRY}, then {@link #KPROBE},
 * then {@link #TRACEPOINT} (KPROBE before FENTRY on a preemptible kernel: see KernelFeatures.tracingPreemptible), and reports why each earlier one failed.
 * The ordinals of the concrete sets are the {@code probe} byte of the raw event.
 */
public enum AttachMode {
    AUTO,
    /** fentry/fexit on do_mq_open: cheapest; needs BPF trampolines and no lockdown. */
    FENTRY,
    /** kprobe/kretprobe on do_mq_open: needs CONFIG_KPROBES. */
    KPROBE,
    /** syscalls:sys_enter_mq_open and sys_exit_mq_open: the portable fallback (no 32-bit compat calls). */
    TRACEPOINT;

    private static final AttachMode[] VALUES = values();
    // computed once: label() is called for every published event
    private final String label = name().toLowerCase(Locale.ROOT);

    /** Accepts the names in any case ("auto", "fentry", "kprobe", "tracepoint"). */
    public static AttachMode parse(String s) {
        if (s == null) throw new IllegalArgumentException("attach mode: null; expected one of " + names());
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("attach mode: unknown '" + s + "'; expected one of " + names());
        }
    }

    /** The lower-case name used in configuration and reports. */
    public String label() {
        return label;
    }

    static AttachMode ofProbeByte(int b) {
        return b >= 1 && b <= 3 ? VALUES[b] : AUTO;
    }

    private static String names() {
        return Arrays.stream(values()).map(AttachMode::label).collect(Collectors.joining(", "));
    }
}
