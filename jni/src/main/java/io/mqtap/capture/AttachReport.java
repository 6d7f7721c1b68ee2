package io.mqtap.capture;

import java.util.List;
import java.util.Set;

/**
 * Which hook set attached, why each one tried before it failed, why AUTO's order differs from the
 * usual one ({@code notes}), and which kernel features the
 * loaded program uses ({@link ProbeFeature}: where one is missing the probe falls back and says so;
 * null when not known).
 */
public record AttachReport(AttachMode attached, List<AttachFailure> failures, Set<ProbeFeature> features,
                           List<String> notes) {
    public AttachReport {
        failures = List.copyOf(failures);
        features = features == null ? null : Set.copyOf(features);
        notes = List.copyOf(notes);
    }

    public AttachReport(AttachMode attached, List<AttachFailure> failures, Set<ProbeFeature> features) {
        this(attached, failures, features, List.of());
    }

    /** A report that does not say which features the program uses ({@link #features()} is null). */
    public AttachReport(AttachMode attached, List<AttachFailure> failures) {
        this(attached, failures, null, List.of());
    }

    /** The paths the program took, e.g. "pairing: task storage, task: BTF task pointer"; "" when nothing attached. */
    public String variant() {
        return attached == null || features == null ? "" : ProbeFeature.describe(features);
    }

    /** e.g. "tracepoint attached (pairing: ..., task: ...); fentry failed: ...; kprobe failed: ...". */
    public String describe() {
        StringBuilder sb = new StringBuilder(attached == null ? "nothing attached" : attached.label() + " attached");
        if (attached != null && features != null && (features.contains(ProbeFeature.COMPAT32_HOOKS)
                || java.util.Arrays.stream(ProbeFeature.values()).anyMatch(f -> f.hasFallback() && !features.contains(f))))
            sb.append(" (").append(variant()).append(')');
        for (AttachFailure f : failures) sb.append("; ").append(f);
        for (String n : notes) sb.append("; ").append(n);
        return sb.toString();
    }
}
