package io.mqtap.producer.core;

import java.util.Map;

/**
 * Who made a call beyond the host: the container and pod from the kernel's cgroup id, and, when a
 * {@link PodDirectory} is configured, the pod's name, namespace and allow-listed labels.
 */
public final class Workloads {
    /** Everything a record says about the caller's workload; every field may be null. */
    public record Identity(String containerId, String podUid, String podName, String podNamespace, Map<String, String> podLabels) {
        public static final Identity NONE = new Identity(null, null, null, null, null);
    }

    /** What the API server says about a pod of this node. */
    public record PodMeta(String name, String namespace, Map<String, String> labels) {}

    /** Pods of this node by UID, kept current by a watch (never a request per event). */
    @FunctionalInterface
    public interface PodDirectory {
        /** The pod, or null when it is not (or not yet) known. */
        PodMeta byUid(String podUid);
    }

    private final CgroupWorkloads cgroups;
    private final PodDirectory pods;

    public Workloads(CgroupWorkloads cgroups, PodDirectory pods) {
        this.cgroups = cgroups;
        this.pods = pods;
    }

    /** Container and pod from the cgroup alone, on this host's cgroup v2 hierarchy. */
    public static Workloads fromCgroups() {
        return new Workloads(CgroupWorkloads.onThisHost(), null);
    }

    public Identity of(long cgroupId) {
        Workload w = cgroups.resolve(cgroupId);
        if (w == null || w == Workload.NONE) return Identity.NONE;
        PodMeta pod = pods == null || w.podUid() == null ? null : pods.byUid(w.podUid());
        return pod == null ? new Identity(w.containerId(), w.podUid(), null, null, null)
                : new Identity(w.containerId(), w.podUid(), pod.name(), pod.namespace(), pod.labels());
    }
}
