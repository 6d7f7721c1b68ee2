package io.mqtap.producer.kubernetes;

import io.dropwizard.lifecycle.Managed;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.mqtap.producer.core.Workloads;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's pods, kept by a fabric8 informer that lists and then watches only pods with
 * {@code spec.nodeName} = this node (so the API server sends a node's own pods, not the cluster's), indexed by
 * UID. Lookups never call the API server; a pod started moments ago may not be known yet (then only
 * {@code podUid} is published). A failing API server is logged and retried by the informer, never fatal.
 */
public final class PodInformer implements Workloads.PodDirectory, Managed {
    private static final Logger LOG = LoggerFactory.getLogger(PodInformer.class);
    private static final String BY_UID = "uid";

    private final KubernetesClient client;
    private final String nodeName;
    private final Set<String> labelKeys;
    private final long resyncMillis;
    private volatile SharedIndexInformer<Pod> informer;

    public PodInformer(KubernetesClient client, String nodeName, Set<String> labelKeys, long resyncMillis) {
        this.client = client;
        this.nodeName = nodeName;
        this.labelKeys = Set.copyOf(labelKeys);
        this.resyncMillis = resyncMillis;
    }

    @Override
    public void start() {
        SharedIndexInformer<Pod> i = client.pods().inAnyNamespace().withField("spec.nodeName", nodeName).runnableInformer(resyncMillis);
        i.addIndexers(Map.of(BY_UID, pod -> List.of(pod.getMetadata().getUid())));
        i.start().whenComplete((v, e) -> {
            if (e != null) LOG.warn("Watching the pods of node {} failed (records carry podUid only until it works): {}", nodeName, e.toString());
            else LOG.info("Watching the pods of node {}: {} known", nodeName, i.getIndexer().list().size());
        });
        informer = i;
    }

    @Override
    public Workloads.PodMeta byUid(String podUid) {
        SharedIndexInformer<Pod> i = informer;
        if (i == null) return null;
        List<Pod> pods = i.getIndexer().byIndex(BY_UID, podUid);
        if (pods.isEmpty()) return null;
        Pod pod = pods.get(0);
        // the API server filters by node; a pod of another node can't be this node's caller
        if (pod.getSpec() == null || !nodeName.equals(pod.getSpec().getNodeName())) return null;
        ObjectMeta m = pod.getMetadata();
        Map<String, String> labels = new LinkedHashMap<>();
        if (m.getLabels() != null) m.getLabels().forEach((k, v) -> { if (labelKeys.contains(k)) labels.put(k, v); });
        return new Workloads.PodMeta(m.getName(), m.getNamespace(), labels.isEmpty() ? null : labels);
    }

    /** Whether the initial list has arrived. */
    public boolean synced() {
        SharedIndexInformer<Pod> i = informer;
        return i != null && i.hasSynced();
    }

    @Override
    public void stop() {
        SharedIndexInformer<Pod> i = informer;
        if (i != null) i.stop();
        client.close();
    }
}
