package io.mqtap.producer.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.mqtap.producer.core.Workloads;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The per-node pod watch against fabric8's Kubernetes mock API server. The server answers only the list and
 * the watch filtered by {@code spec.nodeName=node-a} (the paths the informer must ask for); a pod of another
 * node slipped into the answer is still left out.
 */
@EnableKubernetesMockClient
class PodInformerTest {
    private static final String LIST = "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a&resourceVersion=0";
    private static final String WATCH =
            "/api/v1/pods?allowWatchBookmarks=true&fieldSelector=spec.nodeName%3Dnode-a&resourceVersion=7&timeoutSeconds=600&watch=true";

    KubernetesMockServer server;
    KubernetesClient client;

    private static Pod pod(String ns, String name, String uid, String node, Map<String, String> labels) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).withUid(uid).withResourceVersion("7")
                .withLabels(labels).endMetadata().withNewSpec().withNodeName(node).endSpec().build();
    }

    @Test
    void knowsThisNodesPodsByUidWithAllowListedLabelsOnly() {
        Pod orders = pod("shop", "orders-7d9", "11111111-1111-1111-1111-111111111111", "node-a", Map.of("app", "orders", "secret-ish", "x"));
        Pod billing = pod("shop", "billing-5f2", "22222222-2222-2222-2222-222222222222", "node-b", Map.of("app", "billing"));
        Pod cron = pod("ops", "cron-1", "33333333-3333-3333-3333-333333333333", "node-a", Map.of("team", "ops"));
        cron.getMetadata().setResourceVersion("8");
        server.expect().get().withPath(LIST)
                .andReturn(200, new PodListBuilder().withNewMetadata().withResourceVersion("7").endMetadata().withItems(orders, billing).build())
                .always();
        server.expect().get().withPath(WATCH).andUpgradeToWebSocket().open()
                .waitFor(50).andEmit(new WatchEvent(cron, "ADDED"))
                .done().always();

        PodInformer pods = new PodInformer(client, "node-a", Set.of("app", "team"), 600_000);
        pods.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(pods::synced);
            assertThat(pods.byUid("11111111-1111-1111-1111-111111111111"))
                    .isEqualTo(new Workloads.PodMeta("orders-7d9", "shop", Map.of("app", "orders")));
            assertThat(pods.byUid("22222222-2222-2222-2222-222222222222")).as("another node's pod").isNull();

            // a pod scheduled here later arrives through the watch, not through a lookup
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(pods.byUid("33333333-3333-3333-3333-333333333333"))
                    .isEqualTo(new Workloads.PodMeta("cron-1", "ops", Map.of("team", "ops"))));
            int requests = server.getRequestCount();
            for (int i = 0; i < 1000; i++) pods.byUid("11111111-1111-1111-1111-111111111111");
            assertThat(server.getRequestCount()).as("lookups never call the API server").isEqualTo(requests);

        } finally {
            pods.stop();
        }
    }
}
