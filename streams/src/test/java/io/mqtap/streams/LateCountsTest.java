package io.mqtap.streams;

import static io.mqtap.streams.Events.HOST_A;
import static io.mqtap.streams.Events.HOST_B;
import static io.mqtap.streams.Events.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.streams.avro.MqOpenCounts;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records later than the grace, on a real broker and the real app (exactly-once, as shipped): host A's minutes are
 * counted and published; the app is then replaced by a second instance that restores the state from the changelogs (as
 * after a crash), and host B's records of those closed minutes arrive, held up as a killed instance's partition is after
 * a failover, with one more of A's. Every record made is in exactly one published record: the in-time ones in their
 * minute's count, the late ones per host-minute on the late topic with exact counts (none counted twice, no minute
 * published twice: the restored stream time knows the minutes are closed), and the late-records metric says how many.
 */
@Tag("broker")
@Tag("registry")
@Timeout(180)
class LateCountsTest {
    private static final String SUFFIX = Long.toString(System.nanoTime(), 36);
    private static final String EVENTS = "late-events-" + SUFFIX, COUNTS = "late-counts-" + SUFFIX, LATE = "late-counts-late-" + SUFFIX;
    private static final Map<String, String> OTHER_TOPICS = Map.of("mqtap.topic.stats", "late-stats-" + SUFFIX,
            "mqtap.topic.alerts", "late-alerts-" + SUFFIX, "mqtap.topic.completeness", "late-completeness-" + SUFFIX,
            "mqtap.topic.queues", "late-queues-" + SUFFIX, "mqtap.topic.unlinks", "late-unlinks-" + SUFFIX,
            "mqtap.topic.notifies", "late-notifies-" + SUFFIX, "mqtap.topic.setattrs", "late-setattrs-" + SUFFIX,
            "mqtap.topic.access", "late-access-" + SUFFIX, "mqtap.topic.transfers", "late-transfers-" + SUFFIX);

    @Test
    void recordsLaterThanTheGraceAreCountedOnceAcrossARestoreEitherInTheirMinuteOrAsCorrections(@TempDir Path dir) throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        SchemaRegistryServer registry = SchemaRegistryServer.shared();
        try (Admin admin = broker.admin()) {
            List<NewTopic> topics = new ArrayList<>(List.of(new NewTopic(EVENTS, 1, (short) 1), new NewTopic(COUNTS, 1, (short) 1),
                    new NewTopic(LATE, 1, (short) 1)));
            OTHER_TOPICS.values().forEach(t -> topics.add(new NewTopic(t, 1, (short) 1)));
            admin.createTopics(topics).all().get();
        }
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(20));
        Map<String, Long> made = new TreeMap<>();
        Map<String, Long> counted = new TreeMap<>(), corrected = new TreeMap<>();
        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(producerProps(broker, registry));
             KafkaConsumer<String, MqOpenCounts> counts = consumer(broker, registry, COUNTS);
             KafkaConsumer<String, MqOpenCounts> late = consumer(broker, registry, LATE)) {
            // instance 1: host A's minutes 0 and 1 (20 calls each), and a call at 3:05 that closes them (grace 10 s)
            KafkaStreams first = MqTapStreamsApp.start(new StreamsSettings(config(broker, registry, dir.resolve("state-1"))));
            try {
                awaitRunning(first);
                for (int m = 0; m < 2; m++) {
                    for (int i = 0; i < 20; i++) send(producer, HOST_A, t0.plusSeconds(60L * m + 2L * i), made, t0);
                }
                send(producer, HOST_A, t0.plusSeconds(185), made, t0);
                readUntil(counts, counted, t0, () -> counted.containsKey(HOST_A + "@1"));
            } finally {
                // it leaves the group (Kafka Streams stays in it by default), so the next instance's rebalance does not wait a
                // session timeout for it; its local state is then gone: the next instance restores from the changelogs
                first.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                        .withTimeout(Duration.ofSeconds(30)));
                first.cleanUp();
            }
            assertThat(counted).isEqualTo(Map.of(HOST_A + "@0", 20L, HOST_A + "@1", 20L));

            // instance 2: B's calls of the closed minutes 0 and 1 (late), one more of A's minute 0 (late), B's and A's calls
            // of the open minute 3, then a call at 6:00 that closes minute 3
            KafkaStreams second = MqTapStreamsApp.start(new StreamsSettings(config(broker, registry, dir.resolve("state-2"))));
            try {
                awaitRunning(second);
                for (int i = 0; i < 15; i++) send(producer, HOST_B, t0.plusSeconds(3L * i), made, t0);
                for (int i = 0; i < 12; i++) send(producer, HOST_B, t0.plusSeconds(60 + 4L * i), made, t0);
                send(producer, HOST_A, t0.plusSeconds(59), made, t0);
                for (int i = 0; i < 9; i++) send(producer, HOST_B, t0.plusSeconds(181 + 5L * i), made, t0);
                send(producer, HOST_A, t0.plusSeconds(230), made, t0);
                send(producer, HOST_A, t0.plusSeconds(360), made, t0);
                readUntil(counts, counted, t0, () -> counted.containsKey(HOST_A + "@3") && counted.containsKey(HOST_B + "@3"));
                readUntil(late, corrected, t0, () -> corrected.getOrDefault(HOST_B + "@0", 0L) + corrected.getOrDefault(HOST_B + "@1", 0L)
                        + corrected.getOrDefault(HOST_A + "@0", 0L) >= 28);
                assertThat(lateRecordsTotal(second)).isEqualTo(28.0);
                assertThat(second.state()).isEqualTo(KafkaStreams.State.RUNNING);
            } finally {
                second.close(Duration.ofSeconds(30));
                second.cleanUp();
            }
            counts.poll(Duration.ofMillis(500)).forEach(r -> add(counted, r.key(), r.value(), t0));
            late.poll(Duration.ofMillis(500)).forEach(r -> add(corrected, r.key(), r.value(), t0));
        }
        assertThat(counted).as("published counts, in-time calls only").isEqualTo(Map.of(HOST_A + "@0", 20L, HOST_A + "@1", 20L,
                HOST_A + "@3", 2L, HOST_B + "@3", 9L));
        assertThat(corrected).as("late calls, per host-minute").isEqualTo(Map.of(HOST_B + "@0", 15L, HOST_B + "@1", 12L, HOST_A + "@0", 1L));
        Map<String, Long> published = new TreeMap<>(counted);
        corrected.forEach((k, v) -> published.merge(k, v, Long::sum));
        made.remove(HOST_A + "@6"); // its minute is still open
        assertThat(published).as("every call made, in exactly one published record").isEqualTo(made);
    }

    private static long sequence;

    private static void send(KafkaProducer<String, Object> producer, String host, Instant at, Map<String, Long> made, Instant t0) {
        producer.send(new ProducerRecord<>(EVENTS, host, open(host, "app", at).setSequence(sequence++).build()));
        producer.flush();
        made.merge(host + "@" + Duration.between(t0, at).toMinutes(), 1L, Long::sum);
    }

    private static void add(Map<String, Long> into, String key, MqOpenCounts c, Instant t0) {
        into.merge(key + "@" + Duration.between(t0, c.getWindowStart()).toMinutes(), c.getTotal(), Long::sum);
    }

    /** Polls {@code c} into {@code into} (host@minute from {@code t0}: summed totals) until {@code done}. */
    private static void readUntil(KafkaConsumer<String, MqOpenCounts> c, Map<String, Long> into, Instant t0, BooleanSupplier done) {
        await(c.subscription().toString()).atMost(Duration.ofSeconds(60)).pollInSameThread().pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(1)).until(() -> {
                    c.poll(Duration.ofMillis(500)).forEach(r -> add(into, r.key(), r.value(), t0));
                    return done.getAsBoolean();
                });
    }

    private static void awaitRunning(KafkaStreams streams) {
        await("Kafka Streams RUNNING").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .failFast("Kafka Streams went to ERROR", () -> streams.state() == KafkaStreams.State.ERROR)
                .until(() -> streams.state() == KafkaStreams.State.RUNNING);
    }

    private static double lateRecordsTotal(KafkaStreams streams) {
        return streams.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals("stream-" + MinuteCounter.METRIC_SCOPE + "-metrics")
                        && e.getKey().name().equals(MinuteCounter.LATE_RECORDS + "-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    private static Map<String, Object> producerProps(KafkaBroker broker, SchemaRegistryServer registry) {
        return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                RegistryConfig.URL, registry.url());
    }

    private static KafkaConsumer<String, MqOpenCounts> consumer(KafkaBroker broker, SchemaRegistryServer registry, String topic) {
        KafkaConsumer<String, MqOpenCounts> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + topic,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName(),
                RegistryConfig.URL, registry.url(),
                RegistryConfig.SPECIFIC_READER, true));
        c.subscribe(List.of(topic));
        return c;
    }

    private static Map<String, String> config(KafkaBroker broker, SchemaRegistryServer registry, Path stateDir) {
        Map<String, String> config = new HashMap<>(OTHER_TOPICS);
        config.put("application.id", "mqtap-streams-late-" + SUFFIX);
        config.put("bootstrap.servers", broker.bootstrapServers());
        config.put(RegistryConfig.URL, registry.url());
        config.put("state.dir", stateDir.toString());
        config.put("replication.factor", "1");
        config.put("processing.guarantee", "exactly_once_v2");
        config.put("commit.interval.ms", "200");
        config.put("mqtap.topic.events", EVENTS);
        config.put("mqtap.topic.counts", COUNTS);
        config.put("mqtap.topic.counts-late", LATE);
        config.put("mqtap.grace", "PT10S");
        config.put("mqtap.repartition.partitions", "1");
        config.put("mqtap.queries.listen", "none");
        return config;
    }
}
