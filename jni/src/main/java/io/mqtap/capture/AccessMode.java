package io.mqtap.capture;

import java.util.Locale;

/**
 * How the probe records send and receive (mq_timedsend, mq_timedreceive), which can run at millions per second.
 * The ordinal is the BPF program's {@code enum mq_access_mode}.
 */
public enum AccessMode {
    /** Not hooked at all: no cost, no record. */
    OFF,
    /**
     * Counted in the kernel per thread, process, queue, call and result, and read every access window
     * ({@link MqOpenProbe#flushAccess}): one record per process, queue and call per window. The default.
     */
    AGGREGATE,
    /** One event per call through the perf or ring buffer, as opens are: for forensics, at a cost per call. */
    PER_CALL;

    /** "off", "aggregate" or "perCall", as the configuration spells it. */
    public String label() {
        return this == PER_CALL ? "perCall" : name().toLowerCase(Locale.ROOT);
    }

    /** The mode a configuration value names (case does not matter); IllegalArgumentException listing the choices. */
    public static AccessMode of(String label) {
        for (AccessMode m : values())
            if (m.label().equalsIgnoreCase(label)) return m;
        throw new IllegalArgumentException("'" + label + "' is not an access mode; one of off, aggregate, perCall");
    }
}
