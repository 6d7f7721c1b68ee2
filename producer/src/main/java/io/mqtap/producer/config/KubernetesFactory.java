package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.mqtap.producer.core.CgroupWorkloads;
import io.mqtap.producer.kubernetes.PodInformer;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/** The {@code kubernetes} section: where the cgroup hierarchy is, and the optional watch of this node's pods. */
public class KubernetesFactory {
    /** The cgroup v2 hierarchy ("auto": /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts); in a pod, the host's mounted. */
    @NotNull @JsonProperty private String cgroupRoot = "auto";

    @Valid @NotNull @JsonProperty private Pods pods = new Pods();

    /** podName, podNamespace and podLabels from the API server. */
    public static class Pods {
        @JsonProperty public boolean enabled;
        /** This node's name as the API server knows it (in a DaemonSet: the downward API's spec.nodeName). */
        @JsonProperty public String nodeName;
        /** Label keys copied into podLabels; others are never published. */
        @NotNull @JsonProperty public Set<String> labels = new LinkedHashSet<>();
        /** The API server; empty: in-cluster service account, else ~/.kube/config (fabric8's auto-configuration). */
        @JsonProperty public String masterUrl;
        @NotNull @JsonProperty public Duration resync = Duration.minutes(10);
    }

    @JsonIgnore
    @AssertTrue(message = "kubernetes.pods.nodeName must be set when kubernetes.pods.enabled is true (the downward API's spec.nodeName)")
    public boolean isNodeNameSetWhenEnabled() {
        return !pods.enabled || (pods.nodeName != null && !pods.nodeName.isBlank());
    }

    public CgroupWorkloads cgroups() {
        return "auto".equals(cgroupRoot) ? CgroupWorkloads.onThisHost() : CgroupWorkloads.under(Path.of(cgroupRoot));
    }

    /** The pod watch, or null when it is off. */
    public PodInformer podInformer() {
        if (!pods.enabled) return null;
        ConfigBuilder config = new ConfigBuilder();
        if (pods.masterUrl != null && !pods.masterUrl.isBlank()) config.withMasterUrl(pods.masterUrl);
        return new PodInformer(new KubernetesClientBuilder().withConfig(config.build()).build(), pods.nodeName, pods.labels,
                pods.resync.toMilliseconds());
    }

    public String getCgroupRoot() { return cgroupRoot; }
    public void setCgroupRoot(String v) { cgroupRoot = v; }
    public Pods getPods() { return pods; }
    public void setPods(Pods v) { pods = v; }
}
