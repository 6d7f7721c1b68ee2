package io.mqtap.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three KRaft nodes, each its own JVM: replication 3, min.insync.replicas 2, and writes go on while the leader is dead. */
class KafkaClusterTest {
    @Test
    void threeNodesReplicateAndSurviveTheLeadersSigkill(@TempDir Path dir) throws Exception {
        try (KafkaCluster cluster = KafkaCluster.start(dir, 3, System.getProperty("java.class.path"))) {
            assertThat(cluster.bootstrapServers().split(",")).hasSize(3);
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic("events", 1, (short) -1))).all().get(60, TimeUnit.SECONDS);
                TopicDescription d = describeOnceKnown(admin, "events");
                assertThat(d.partitions().get(0).replicas()).as("the cluster's default replication").hasSize(3);
                ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, "events");
                assertThat(admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r).get("min.insync.replicas").value())
                        .isEqualTo("2");
            }
            Map<String, Object> props = Map.of("bootstrap.servers", cluster.bootstrapServers(), "acks", "all",
                    "delivery.timeout.ms", 60_000, "request.timeout.ms", 10_000);
            try (KafkaProducer<String, String> p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
                p.send(new ProducerRecord<>("events", "k", "before")).get(60, TimeUnit.SECONDS);
                KafkaBrokerProcess leader = cluster.leaderOf("events", 0);
                leader.kill();
                // two in-sync replicas are left: acks=all still succeeds, through a new leader
                p.send(new ProducerRecord<>("events", "k", "after")).get(60, TimeUnit.SECONDS);
                assertThat(cluster.leaderOf("events", 0).nodeId()).isNotEqualTo(leader.nodeId());
                cluster.restartAll();
                assertThat(leader.alive()).isTrue();
            }
        }
    }

    /** The node that answers may not have the new topic's metadata yet (seen under load): ask again until it has. */
    private static TopicDescription describeOnceKnown(Admin admin, String topic) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) throw e;
                Thread.sleep(200);
            }
        }
    }
}
