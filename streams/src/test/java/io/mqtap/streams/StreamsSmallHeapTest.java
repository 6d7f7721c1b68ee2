package io.mqtap.streams;

import static io.mqtap.streams.Events.HOST_A;
import static io.mqtap.streams.Events.named;
import static io.mqtap.streams.Events.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.avro.MqOpen;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.SchemaRegistryClient;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.hostile.CraftedRecords;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Streams app as its own JVM with a 64 MiB heap and none of the wrapper's Avro flags, reading an events topic
 * where each crafted record (huge and negative counts and lengths, truncated, unknown schema id) sits between real
 * ones: it stays RUNNING, raises the alert every real record asks for, and copies each crafted record, and only
 * those, to the dead-letter topic (each one also logged and counted by Kafka Streams).
 */
@Tag("broker")
@Tag("registry")
@Tag("jvm")
@Timeout(180)
class StreamsSmallHeapTest {
    @Test
    void craftedRecordsGoToTheDeadLetterTopicAndTheAppRunsOn(@TempDir Path dir) throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        SchemaRegistryServer registry = SchemaRegistryServer.shared();
        String id = UUID.randomUUID().toString().substring(0, 8);
        String events = "hostile-events-" + id, stats = "hostile-stats-" + id, alerts = "hostile-alerts-" + id, dlq = "hostile-dlq-" + id;
        try (var admin = broker.admin()) {
            List<NewTopic> topics = new ArrayList<>();
            // the app reads the producer's five queue-life topics too (it does not start without them) and writes mq-queues
            for (String t : List.of(events, stats, alerts, dlq, "hostile-counts-" + id, "hostile-completeness-" + id,
                    "hostile-unlinks-" + id, "hostile-notifies-" + id, "hostile-setattrs-" + id, "hostile-access-" + id,
                    "hostile-transfers-" + id, "hostile-queues-" + id)) {
                topics.add(new NewTopic(t, 1, (short) 1));
            }
            admin.createTopics(topics).all().get();
        }
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.builder().url(registry.url()).build());
        AvroSerializer<MqOpen> ser = new AvroSerializer<>(client);
        MqOpen sample = open(HOST_A, "app", Instant.now()).build();
        Map<String, byte[]> crafted = CraftedRecords.against(sample, ser.serialize(events, sample), "flags", "name", "nameRaw", "podLabels");
        List<byte[]> values = new ArrayList<>();
        int good = 0;
        for (byte[] bad : crafted.values()) {
            values.add(ser.serialize(events, suspicious(good++)));
            values.add(bad);
        }
        values.add(ser.serialize(events, suspicious(good++)));
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all",
                "max.request.size", 4 << 20), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (byte[] v : values) p.send(new ProducerRecord<>(events, HOST_A.getBytes(StandardCharsets.UTF_8), v)).get();
        }

        Path config = Files.writeString(dir.resolve("streams.yml"), """
                application.id: mqtap-streams-hostile-%s
                bootstrap.servers: %s
                schema.registry.url: %s
                state.dir: %s
                replication.factor: 1
                auto.offset.reset: earliest
                errors.dead.letter.queue.topic.name: %s
                mqtap:
                  topic: {events: %s, stats: %s, alerts: %s, counts: hostile-counts-%s, completeness: hostile-completeness-%s,
                          unlinks: hostile-unlinks-%s, notifies: hostile-notifies-%s, setattrs: hostile-setattrs-%s,
                          access: hostile-access-%s, transfers: hostile-transfers-%s, queues: hostile-queues-%s}
                  repartition: {partitions: 1}
                  queries: {listen: "127.0.0.1:0"}
                """.formatted(id, broker.bootstrapServers(), registry.url(), dir.resolve("state"), dlq, events, stats, alerts, id, id,
                id, id, id, id, id, id));
        Path log = dir.resolve("app.log");
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), MqTapStreamsApp.class.getName(), config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int expectedAlerts = good;
            await("an alert for every real record").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                    .failFast("the app exited:\n" + tail(log), () -> !app.isAlive())
                    .until(() -> count(broker, alerts) >= expectedAlerts);
            await("every crafted record in the dead-letter topic").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> count(broker, dlq) >= crafted.size());
            assertThat(count(broker, dlq)).as("dead-lettered: the crafted records only").isEqualTo(crafted.size());
            assertThat(count(broker, alerts)).isEqualTo(good);
            assertThat(app.isAlive()).isTrue();
            String text = Files.readString(log);
            assertThat(text).contains("-> RUNNING").doesNotContain("OutOfMemoryError").doesNotContain("-> ERROR");
        } finally {
            app.destroy();
            if (!app.waitFor(45, TimeUnit.SECONDS)) app.destroyForcibly();
        }
    }

    /** A real record whose name has a control byte: each one raises exactly one SUSPICIOUS_NAME alert. */
    private static MqOpen suspicious(int seq) {
        byte[] raw = {'q', 0x1b, (byte) ('0' + seq % 10)};
        return named(open(HOST_A, "app", Instant.now()).setSequence(seq), raw, new String(raw, StandardCharsets.UTF_8)).build();
    }

    private static int count(KafkaBroker broker, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "group.id", "count-" + UUID.randomUUID(), "auto.offset.reset", "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            int n = 0;
            for (int empty = 0; empty < 3; ) {
                var polled = c.poll(Duration.ofMillis(500));
                if (polled.isEmpty()) empty++;
                for (ConsumerRecord<byte[], byte[]> r : polled) n++;
            }
            return n;
        }
    }

    private static String tail(Path log) {
        try {
            String s = Files.readString(log);
            return s.substring(Math.max(0, s.length() - 4000));
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
