package io.mqtap.producer.kafka;

import io.mqtap.producer.config.KafkaFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Makes sure the record topics (one per record type) and the stats topic exist (creates them when allowed, or says
 * what is missing), then checks each record topic is as durable as {@code kafka.minReplication} and {@code kafka.minInsyncReplicas} require.
 * {@link IllegalStateException}: a problem only an operator can fix; anything else: Kafka not reachable yet (retry).
 */
public final class TopicProvisioner {
    private TopicProvisioner() {}

    public static void ensure(Map<String, Object> adminProps, KafkaFactory kafka) throws Exception {
        List<String> topics = new ArrayList<>(kafka.recordTopics());
        topics.add(kafka.getStatsTopic());
        try (Admin admin = Admin.create(adminProps)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String t : topics) {
                if (existing.contains(t)) continue;
                if (!kafka.isCreateTopics()) {
                    throw new IllegalStateException("Kafka topic '" + t + "' does not exist and kafka.createTopics is false: create it first");
                }
                Optional<Short> rf = kafka.getReplicationFactor() < 0 ? Optional.empty() : Optional.of((short) kafka.getReplicationFactor());
                missing.add(new NewTopic(t, Optional.of(kafka.getPartitions()), rf)
                        .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(kafka.getMinInsyncReplicas()))));
            }
            if (!missing.isEmpty()) create(admin, missing);
            checkDurability(admin, kafka);
        }
    }

    private static void create(Admin admin, List<NewTopic> missing) throws Exception {
        try {
            admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof TopicExistsException) return;
            if (c instanceof TopicAuthorizationException || c instanceof ClusterAuthorizationException) {
                throw new IllegalStateException("Kafka topics " + names(missing) + " are missing and this principal may not create them ("
                        + c.getMessage() + "): create them, or grant CREATE", c);
            }
            if (c instanceof org.apache.kafka.common.errors.InvalidReplicationFactorException
                    || c instanceof org.apache.kafka.common.errors.InvalidConfigurationException) {
                throw new IllegalStateException("Failed to create Kafka topics " + names(missing) + ": " + c.getMessage(), c);
            }
            throw e;
        }
    }

    /** Each record topic's replication factor and min.insync.replicas against the configured floor. */
    static void checkDurability(Admin admin, KafkaFactory kafka) throws Exception {
        for (String topic : kafka.recordTopics()) checkDurability(admin, kafka, topic);
    }

    private static void checkDurability(Admin admin, KafkaFactory kafka, String topic) throws Exception {
        TopicDescription d = untilKnown(() -> admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic));
        int rf = d.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config c = untilKnown(() -> admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r));
        ConfigEntry e = c.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
        int minIsr = e == null || e.value() == null ? 1 : Integer.parseInt(e.value());
        if (rf < kafka.getMinReplication() || minIsr < kafka.getMinInsyncReplicas()) {
            throw new IllegalStateException(String.format("Kafka topic '%s' has replication factor %d and min.insync.replicas %d; "
                    + "mqtap refuses to publish below kafka.minReplication %d and kafka.minInsyncReplicas %d (a record on fewer "
                    + "brokers can be lost with one of them). Raise the topic's replication and min.insync.replicas, or lower "
                    + "both settings for a single-node test cluster. Records wait in the spool meanwhile.",
                    topic, rf, minIsr, kafka.getMinReplication(), kafka.getMinInsyncReplicas()));
        }
    }

    /** A topic just created may take a moment to reach every broker's metadata: asked again for up to 30 s. */
    private static <T> T untilKnown(java.util.concurrent.Callable<T> ask) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return ask.call();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) throw e;
                Thread.sleep(100);
            }
        }
    }

    private static List<String> names(List<NewTopic> ts) {
        return ts.stream().map(NewTopic::name).toList();
    }
}
