package io.mqtap.capture;

import java.util.List;

/** Which hook set attached, and why each one tried before it failed. */
public record AttachReport(AttachMode attached, List<AttachFailure> failures) {
    public AttachReport {
        failures = List.copyOf(failures);
    }

    /** e.g. "tracepoint attached; fentry failed: ...; kprobe failed: ...". */
    public String describe() {
        StringBuilder sb = new StringBuilder(attached == null ? "nothing attached" : attached.label() + " attached");
        for (AttachFailure f : failures) sb.append("; ").append(f);
        return sb.toString();
    }
}
