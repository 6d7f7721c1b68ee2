package io.mqtap.producer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqtap.producer.config.KafkaFactory;
import io.mqtap.testkit.kafka.KafkaBroker;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("broker")
class TopicProvisionerTest {
    private static KafkaBroker broker;

    @BeforeAll
    static void start() {
        broker = KafkaBroker.start();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static KafkaFactory kafka(String topic, boolean create) {
        KafkaFactory k = new KafkaFactory();
        k.setBootstrapServers(broker.bootstrapServers());
        k.setTopic(topic);
        k.setStatsTopic(topic + "-stats");
        k.setCreateTopics(create);
        k.setPartitions(3);
        // a single-node cluster: the durability floor lowered, as a test or demo setup must
        k.setMinReplication(1);
        k.setMinInsyncReplicas(1);
        return k;
    }

    @Test
    void createsMissingTopicsWithTheConfiguredPartitionsAndIsIdempotent() throws Exception {
        Map<String, Object> admin = Map.of("bootstrap.servers", broker.bootstrapServers());
        TopicProvisioner.ensure(admin, kafka("made", true));
        TopicProvisioner.ensure(admin, kafka("made", true));
        try (Admin a = broker.admin()) {
            var d = a.describeTopics(java.util.List.of("made", "made-stats")).allTopicNames().get();
            assertThat(d.get("made").partitions()).hasSize(3);
            assertThat(d).containsKey("made-stats");
        }
    }

    @Test
    void aMissingTopicThatMayNotBeCreatedFailsTheStartNamingIt() {
        Map<String, Object> admin = Map.of("bootstrap.servers", broker.bootstrapServers());
        assertThatThrownBy(() -> TopicProvisioner.ensure(admin, kafka("absent", false)))
                .hasMessageContaining("Kafka topic 'absent' does not exist and kafka.createTopics is false");
    }

    @Test
    void belowTheDurabilityFloorItRefusesNamingBothSettings() throws Exception {
        Map<String, Object> admin = Map.of("bootstrap.servers", broker.bootstrapServers());
        KafkaFactory k = kafka("thin", true);
        k.setMinReplication(3);
        k.setMinInsyncReplicas(2);
        assertThatThrownBy(() -> TopicProvisioner.ensure(admin, k)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Kafka topic 'thin' has replication factor 1 and min.insync.replicas 2")
                .hasMessageContaining("kafka.minReplication 3 and kafka.minInsyncReplicas 2");
        try (Admin a = broker.admin()) {
            var r = new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "thin");
            assertThat(a.describeConfigs(java.util.List.of(r)).all().get().get(r).get("min.insync.replicas").value())
                    .as("a topic mqtap creates gets kafka.minInsyncReplicas").isEqualTo("2");
        }
    }
}
