package io.mqtap.producer.core;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/** Who is publishing: the host (name, machine id, boot id, the cluster it belongs to) and this run of the producer. */
public record HostIdentity(String hostname, String machineId, String bootId, String runId, String cluster) {
    /** Without a cluster name. */
    public HostIdentity(String hostname, String machineId, String bootId, String runId) {
        this(hostname, machineId, bootId, runId, null);
    }

    public static HostIdentity detect(String hostname, String machineId, String bootId, String cluster) {
        HostIdentity h = detect(hostname, machineId, bootId);
        return new HostIdentity(h.hostname(), h.machineId(), h.bootId(), h.runId(), cluster == null || cluster.isBlank() ? null : cluster);
    }

    /** Reads the host's identity, preferring the given overrides (null or blank means "read it"). */
    public static HostIdentity detect(String hostname, String machineId, String bootId) {
        return new HostIdentity(
                orElse(hostname, HostIdentity::readHostname),
                orElse(machineId, () -> readFirstLine(Path.of("/etc/machine-id"), "/var/lib/dbus/machine-id")),
                orElse(bootId, () -> readFirstLine(Path.of("/proc/sys/kernel/random/boot_id"))),
                UUID.randomUUID().toString());
    }

    private static String orElse(String given, java.util.function.Supplier<String> read) {
        return given != null && !given.isBlank() ? given : read.get();
    }

    private static String readHostname() {
        String fromProc = readFirstLine(Path.of("/proc/sys/kernel/hostname"));
        if (!fromProc.isEmpty()) return fromProc;
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String readFirstLine(Path path, String... fallbacks) {
        for (Path p : pathsOf(path, fallbacks)) {
            try {
                String s = Files.readString(p).trim();
                if (!s.isEmpty()) return s;
            } catch (IOException e) {
                // try the next place; an empty identity is reported below
            }
        }
        return "";
    }

    private static Path[] pathsOf(Path first, String... rest) {
        Path[] all = new Path[rest.length + 1];
        all[0] = first;
        for (int i = 0; i < rest.length; i++) all[i + 1] = Path.of(rest[i]);
        return all;
    }
}
