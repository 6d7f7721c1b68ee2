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
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;

/** Makes sure the events and stats topics exist: creates them when allowed, or says what is missing. */
public final class TopicProvisioner {
    private TopicProvisioner() {}

    public static void ensure(Map<String, Object> adminProps, KafkaFactory kafka) throws Exception {
        List<String> topics = List.of(kafka.getTopic(), kafka.getStatsTopic());
        try (Admin admin = Admin.create(adminProps)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String t : topics) {
                if (existing.contains(t)) continue;
                if (!kafka.isCreateTopics()) {
                    throw new IllegalStateException("Kafka topic '" + t + "' does not exist and kafka.createTopics is false: create it first");
                }
                Optional<Short> rf = kafka.getReplicationFactor() < 0 ? Optional.empty() : Optional.of((short) kafka.getReplicationFactor());
                missing.add(new NewTopic(t, Optional.of(kafka.getPartitions()), rf));
            }
            if (missing.isEmpty()) return;
            try {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof TopicExistsException) return;
                if (c instanceof TopicAuthorizationException || c instanceof ClusterAuthorizationException) {
                    throw new IllegalStateException("Kafka topics " + names(missing) + " are missing and this principal may not create them ("
                            + c.getMessage() + "): create them, or grant CREATE", c);
                }
                throw new IllegalStateException("Failed to create Kafka topics " + names(missing) + ": " + c.getMessage(), c);
            }
        }
    }

    private static List<String> names(List<NewTopic> ts) {
        return ts.stream().map(NewTopic::name).toList();
    }
}
