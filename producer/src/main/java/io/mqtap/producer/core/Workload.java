package io.mqtap.producer.core;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The container and Kubernetes pod a cgroup belongs to, read from the cgroup's path as the container
 * runtime and kubelet name it: cgroupfs driver ({@code /kubepods/burstable/pod<uid>/<id>}) or systemd driver
 * ({@code /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope}),
 * containerd, CRI-O ({@code crio-<id>}) and Docker ({@code docker-<id>}) naming; Podman ({@code libpod-<id>}) too.
 *
 * @param containerId the 64-hex container id (the innermost in the path), or null
 * @param podUid      the pod's UID with dashes (static pods: 32 hex digits), or null when not a Kubernetes pod's
 */
public record Workload(String containerId, String podUid) {
    public static final Workload NONE = new Workload(null, null);

    // an id is a whole path segment or the tail of one after a runtime prefix ("cri-containerd-", "crio-", "docker-")
    private static final Pattern CONTAINER = Pattern.compile("(?<=^|[/-])([0-9a-f]{64})(?=\\.scope|/|$)");
    // systemd's slice names replace the UID's dashes with underscores; static pods have a 32-hex config hash
    private static final Pattern POD = Pattern.compile(
            "(?<=[/-])pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})(?=\\.slice|/|$)");

    public static Workload fromCgroupPath(String path) {
        String container = null;
        Matcher c = CONTAINER.matcher(path);
        while (c.find()) container = c.group(1);
        Matcher p = POD.matcher(path);
        String pod = p.find() ? p.group(1).replace('_', '-').toLowerCase(Locale.ROOT) : null;
        return container == null && pod == null ? NONE : new Workload(container, pod);
    }
}
