package io.mqtap.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqUnlink;
import io.mqtap.registry.kafka.RunPinnedPartitioner;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.streams.avro.CompletenessKind;
import io.mqtap.streams.avro.MqOpenCompleteness;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partitions added to the record topics while a host publishes (docs/operations.md, "Adding partitions"): the real app on
 * a real broker, the host's records sent with the producer's own partitioner. The running run's records stay in their
 * partition, so the completeness monitor reports no gap that is not one; a record left out on purpose is still reported;
 * the host's next run lands on a new partition and the app picks that partition up by itself.
 */
@Tag("broker")
@Tag("registry")
@Timeout(180)
class PartitionGrowthTest {
    private static final String SUFFIX = Long.toString(System.nanoTime(), 36);
    private static final String EVENTS = "grow-events-" + SUFFIX, UNLINKS = "grow-unlinks-" + SUFFIX, STATS = "grow-stats-" + SUFFIX,
            COMPLETENESS = "grow-completeness-" + SUFFIX;
    private static final Map<String, String> OTHER_TOPICS = Map.of("mqtap.topic.counts", "grow-counts-" + SUFFIX,
            "mqtap.topic.counts-late", "grow-counts-late-" + SUFFIX,
            "mqtap.topic.alerts", "grow-alerts-" + SUFFIX, "mqtap.topic.queues", "grow-queues-" + SUFFIX,
            "mqtap.topic.notifies", "grow-notifies-" + SUFFIX, "mqtap.topic.setattrs", "grow-setattrs-" + SUFFIX,
            "mqtap.topic.access", "grow-access-" + SUFFIX, "mqtap.topic.transfers", "grow-transfers-" + SUFFIX);
    private static final String RUN_A = "aaaaaaaa-0000-4000-8000-000000000001", RUN_B = "bbbbbbbb-0000-4000-8000-000000000002";
    private static final int BEFORE = 1, AFTER = 4;
    /** Run A's records (100 ms of event time apart: 30 s), where its topic grows, and the one left out on purpose (a real gap). */
    private static final long RUN_A_RECORDS = 300, GROW_AT = 40, LEFT_OUT = 150;

    @Test
    void partitionsAddedMidRunOpenNoGapWhileARealGapIsStillReported(@TempDir Path stateDir) throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        SchemaRegistryServer registry = SchemaRegistryServer.shared();
        String host = movingMachineId();
        try (Admin admin = broker.admin()) {
            List<NewTopic> topics = new ArrayList<>(List.of(new NewTopic(EVENTS, BEFORE, (short) 1), new NewTopic(UNLINKS, BEFORE, (short) 1),
                    new NewTopic(STATS, 1, (short) 1), new NewTopic(COMPLETENESS, 1, (short) 1)));
            OTHER_TOPICS.values().forEach(t -> topics.add(new NewTopic(t, 1, (short) 1)));
            admin.createTopics(topics).all().get();
        }
        KafkaStreams streams = MqTapStreamsApp.start(new StreamsSettings(config(broker, registry, stateDir)));
        try (Admin admin = broker.admin()) {
            await("Kafka Streams RUNNING").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .failFast("Kafka Streams went to ERROR", () -> streams.state() == KafkaStreams.State.ERROR)
                    .until(() -> streams.state() == KafkaStreams.State.RUNNING);
            Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(5));
            List<RecordMetadata> runAOpens = new ArrayList<>();
            try (KafkaProducer<String, Object> producer = new KafkaProducer<>(producerProps(broker, registry))) {
                // run A: even sequences are opens, odd ones unlinks (one counter across record types, as a host's), sent
                // 20 ms apart: the app keeps up, as with a host, and 10 s of event time (the gap grace) are 2 s of sending
                for (long s = 0; s < RUN_A_RECORDS; s++) {
                    if (s == GROW_AT) {
                        // the opens' topic only: with Kafka's own partitioner the opens would move and the unlinks not, so
                        // later unlinks would overtake the moved opens until the app found their partition (false gaps)
                        admin.createPartitions(Map.of(EVENTS, NewPartitions.increaseTo(AFTER))).all().get();
                        // the producer knows the new count (metadata.max.age.ms below): Kafka's own partitioner would move the key now
                        await("the producer sees " + AFTER + " partitions").atMost(Duration.ofSeconds(30))
                                .until(() -> producer.partitionsFor(EVENTS).size() == AFTER);
                    }
                    Thread.sleep(20);
                    if (s == LEFT_OUT) continue;
                    if (s % 2 == 0) runAOpens.add(sendOpen(producer, host, RUN_A, s, t0.plusMillis(100 * s)));
                    else sendUnlink(producer, host, RUN_A, s, t0.plusMillis(100 * s));
                }
                producer.flush();
            }
            // run B: the host's next start, a new producer; it pins the new count, so the key moves to its new partition
            int moved = Utils.toPositive(Utils.murmur2(host.getBytes(StandardCharsets.UTF_8))) % AFTER;
            Instant t1 = t0.plusSeconds(60);
            List<MqOpenCompleteness> reports;
            try (KafkaProducer<String, Object> producer = new KafkaProducer<>(producerProps(broker, registry))) {
                List<RecordMetadata> runB = new ArrayList<>();
                for (long s = 0; s < 20; s++) runB.add(sendOpen(producer, host, RUN_B, s, t1.plusMillis(100 * s)));
                producer.flush();
                assertThat(runB).extracting(RecordMetadata::partition).containsOnly(moved);
                // each run's stats, repeated as a quiet host repeats them, until they find all its records (run B's
                // partition is new to the app, which finds it at its next metadata refresh: mqtap's default is 10 s)
                reports = readUntil(broker, registry, () -> {
                    producer.send(new ProducerRecord<>(STATS, host, Events.stats(host, RUN_A, t0.plusSeconds(31), RUN_A_RECORDS - 1,
                            RUN_A_RECORDS - 1)));
                    producer.send(new ProducerRecord<>(STATS, host, Events.stats(host, RUN_B, t1.plusSeconds(2), 19, 20)));
                }, l -> seen(l, RUN_A) == RUN_A_RECORDS - 1 && seen(l, RUN_B) == 20);
            }
            assertThat(reports).as("reports: %s", reports).filteredOn(r -> r.getKind() == CompletenessKind.GAP)
                    .singleElement().satisfies(g -> {
                        assertThat(g.getRunId()).isEqualTo(RUN_A);
                        assertThat(g.getFromSequence()).isEqualTo(LEFT_OUT);
                        assertThat(g.getToSequence()).isEqualTo(LEFT_OUT);
                    });
            assertThat(runAOpens).as("run A stayed in the partition its first record went to").extracting(RecordMetadata::partition)
                    .containsOnly(0);
            MqOpenCompleteness a = reconciliation(reports, RUN_A);
            assertThat(a.getMissing()).as("run A: %s", a).isEqualTo(1L);
            assertThat(a.getSeen()).isEqualTo(RUN_A_RECORDS - 1);
            assertThat(a.getDuplicates()).isZero();
            MqOpenCompleteness b = reconciliation(reports, RUN_B);
            assertThat(b.getMissing()).as("run B: %s", b).isZero();
            assertThat(b.getComplete()).isTrue();
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
        } finally {
            streams.close(Duration.ofSeconds(30));
            streams.cleanUp();
        }
    }

    private static void sendUnlink(KafkaProducer<String, Object> producer, String host, String run, long s, Instant at) {
        MqUnlink u = LifeEvents.unlink(host, s, at, 10, 1000, "q" + s, false);
        u.setRunId(run);
        producer.send(new ProducerRecord<>(UNLINKS, host, u));
    }

    /** Sends an open and says where it went. */
    private static RecordMetadata sendOpen(KafkaProducer<String, Object> producer, String host, String run, long s, Instant at) {
        MqOpen e = Events.open(host, "app", at).setRunId(run).setSequence(s).build();
        try {
            return producer.send(new ProducerRecord<>(EVENTS, host, e)).get();
        } catch (Exception ex) {
            throw new AssertionError("open " + s + " of run " + run + " not sent", ex);
        }
    }

    /** A machine id the default hash puts in partition 0 of 1 and elsewhere among 4: adding partitions moves it. */
    private static String movingMachineId() {
        for (int i = 0; ; i++) {
            String id = String.format("%032x", i);
            if (Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % AFTER != 0) return id;
        }
    }

    private static long seen(List<MqOpenCompleteness> reports, String run) {
        MqOpenCompleteness r = reconciliation(reports, run);
        return r == null ? -1 : r.getSeen();
    }

    private static MqOpenCompleteness reconciliation(List<MqOpenCompleteness> reports, String run) {
        MqOpenCompleteness last = null;
        for (MqOpenCompleteness r : reports) {
            if (r.getKind() == CompletenessKind.RECONCILIATION && r.getRunId().equals(run)) last = r;
        }
        return last;
    }

    private static Map<String, Object> producerProps(KafkaBroker broker, SchemaRegistryServer registry) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName());
        p.put(RegistryConfig.URL, registry.url());
        // the partitioner mqtap's producer runs with (ProducerSettings)
        p.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, RunPinnedPartitioner.class.getName());
        // sees added partitions within a second, as a host does within its metadata age (5 minutes by default)
        p.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, 500);
        return p;
    }

    private static Map<String, String> config(KafkaBroker broker, SchemaRegistryServer registry, Path stateDir) {
        Map<String, String> config = new HashMap<>(OTHER_TOPICS);
        config.put("application.id", "mqtap-streams-grow-" + SUFFIX);
        config.put("bootstrap.servers", broker.bootstrapServers());
        config.put(RegistryConfig.URL, registry.url());
        config.put("state.dir", stateDir.toString());
        config.put("replication.factor", "1");
        config.put("commit.interval.ms", "200");
        config.put("mqtap.topic.events", EVENTS);
        config.put("mqtap.topic.unlinks", UNLINKS);
        config.put("mqtap.topic.stats", STATS);
        config.put("mqtap.topic.completeness", COMPLETENESS);
        config.put("mqtap.repartition.partitions", "2");
        config.put("mqtap.queries.listen", "none");
        return config;
    }

    private static List<MqOpenCompleteness> readUntil(KafkaBroker broker, SchemaRegistryServer registry, Runnable nudge,
                                                     Predicate<List<MqOpenCompleteness>> done) {
        List<MqOpenCompleteness> out = new ArrayList<>();
        try (KafkaConsumer<String, MqOpenCompleteness> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + COMPLETENESS,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName(),
                RegistryConfig.URL, registry.url(),
                RegistryConfig.SPECIFIC_READER, true))) {
            c.subscribe(List.of(COMPLETENESS));
            await("completeness of both runs").atMost(Duration.ofSeconds(90)).pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(() -> {
                        nudge.run();
                        c.poll(Duration.ofMillis(1000)).forEach(r -> out.add(r.value()));
                        return done.test(out);
                    });
            c.poll(Duration.ofMillis(500)).forEach(r -> out.add(r.value()));
        }
        return out;
    }
}
