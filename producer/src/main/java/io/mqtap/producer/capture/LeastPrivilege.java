package io.mqtap.producer.capture;

import io.mqtap.capture.Capabilities;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Least privilege at run time: CAP_BPF and CAP_PERFMON are needed to load and attach the probe, not to read what it
 * captures. Right after the attach every thread of the JVM is lowered to what the kernel still asks for (none from
 * 6.5 on; CAP_BPF before, for reading the probe's own maps), so a compromised service cannot load a tracing program
 * and read other processes' memory. Whatever needs more later (a new attach) needs a restart.
 */
public final class LeastPrivilege {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LeastPrivilege.class);

    private LeastPrivilege() {}

    /**
     * A JVM that embeds the service and goes on needing its capabilities (a test JVM that loads more probes) sets this
     * system property; the service then keeps them, with a WARN, whatever the config says. Child processes don't
     * inherit it.
     */
    public static final String KEEP_PROPERTY = "mqtap.capabilities.keep";

    /** Drops what is no longer needed once {@code attached} is attached (when {@code drop}); returns it. */
    public static <T> T afterAttach(T attached, boolean drop) {
        if (!drop || Boolean.getBoolean(KEEP_PROPERTY)) {
            LOG.warn("{}: the service keeps {} for its whole life", drop ? "-D" + KEEP_PROPERTY + "=true" : "capture.dropCapabilities is false",
                    describe());
            return attached;
        }
        long keep = Capabilities.neededAfterAttach();
        OptionalLong before = Capabilities.effective();
        int threads = Capabilities.dropAllThreads(keep);
        LOG.info("Dropped capabilities after attaching: {} threads lowered, every thread now holds {} (was CapEff {}){}", threads,
                Capabilities.names(keep), before.isPresent() ? String.format("%016x", before.getAsLong()) : "unknown",
                keep == 0 ? "" : " (kernel " + release() + " asks CAP_BPF for every bpf() call while unprivileged BPF is disabled)");
        return attached;
    }

    private static String describe() {
        OptionalLong caps = Capabilities.effective();
        return caps.isPresent() ? "CapEff " + String.format("%016x", caps.getAsLong()) : "its capabilities";
    }

    private static String release() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
