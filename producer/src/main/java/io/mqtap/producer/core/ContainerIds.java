package io.mqtap.producer.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Container id of a caller, from its cgroup path (docker, containerd, cri-o, podman all put a 64-hex id
 * in it). Resolved once per cgroup id: the path is read from /proc/&lt;pid&gt;/cgroup while the caller lives.
 */
public final class ContainerIds {
    private static final Pattern ID = Pattern.compile("(?<=^|[/-])([0-9a-f]{64})(?=\\.scope|/|$)");
    private static final String NONE = "";

    private final Path proc;
    private final ConcurrentHashMap<Long, String> byCgroup = new ConcurrentHashMap<>();

    public ContainerIds() {
        this(Path.of("/proc"));
    }

    ContainerIds(Path proc) {
        this.proc = proc;
    }

    /** The container id, or null when the caller is not in a recognised container cgroup. */
    public String resolve(long cgroupId, long pid) {
        String id = byCgroup.get(cgroupId);
        if (id == null) {
            id = fromCgroupFile(pid);
            // a caller that exited before we looked is not cached, so a later caller can still resolve it
            if (id != null) byCgroup.put(cgroupId, id);
        }
        return id == null || id.isEmpty() ? null : id;
    }

    /** "" when the cgroup is known not to be a container's, null when unknown. */
    private String fromCgroupFile(long pid) {
        try {
            for (String line : Files.readAllLines(proc.resolve(Long.toString(pid)).resolve("cgroup"))) {
                String id = fromCgroupPath(line.substring(line.lastIndexOf(':') + 1));
                if (id != null) return id;
            }
            return NONE;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The 64-hex container id inside a cgroup path, or null. */
    public static String fromCgroupPath(String path) {
        Matcher m = ID.matcher(path);
        String last = null;
        while (m.find()) last = m.group(1);
        return last;
    }

    int cached() {
        return byCgroup.size();
    }
}
