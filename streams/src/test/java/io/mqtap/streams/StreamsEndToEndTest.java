package io.mqtap.streams;

import static io.mqtap.streams.Events.HOST_A;
import static io.mqtap.streams.Events.RUN;
import static io.mqtap.streams.Events.open;
import static io.mqtap.streams.Events.stats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.streams.avro.CompletenessKind;
import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenAlertType;
import io.mqtap.streams.avro.MqOpenCompleteness;
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
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import com.fasterxml.jackson.databind.JsonNode;
import io.mqtap.streams.avro.MqQueue;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The application as it runs: a real broker, the real registry, mqtap's serdes on every topic. */
@Tag("broker")
@Tag("registry")
@Timeout(180)
class StreamsEndToEndTest {
    private static final String SUFFIX = Long.toString(System.nanoTime(), 36);
    private static final String EVENTS = "e2e-events-" + SUFFIX;
    private static final String STATS = "e2e-stats-" + SUFFIX;
    private static final String COUNTS = "e2e-counts-" + SUFFIX;
    private static final String COUNTS_LATE = "e2e-counts-late-" + SUFFIX;
    private static final String ALERTS = "e2e-alerts-" + SUFFIX;
    private static final String COMPLETENESS = "e2e-completeness-" + SUFFIX;
    private static final String QUEUES = "e2e-queues-" + SUFFIX;
    private static final String TABLE_EVENTS = "e2e-table-events-" + SUFFIX;
    private static final String TABLE_ALERTS = "e2e-table-alerts-" + SUFFIX;
    private static final String TABLE_COMPLETENESS = "e2e-table-completeness-" + SUFFIX;
    /** the producer's topics of the rest of a queue's life, by setting: each test its own, so one's alerts are not the other's */
    private static final Map<String, String> LIFE = life("counts"), TABLE_LIFE = life("table");

    private static Map<String, String> life(String test) {
        return Map.of("mqtap.topic.unlinks", "e2e-" + test + "-unlinks-" + SUFFIX, "mqtap.topic.notifies", "e2e-" + test + "-notifies-" + SUFFIX,
                "mqtap.topic.setattrs", "e2e-" + test + "-setattrs-" + SUFFIX, "mqtap.topic.access", "e2e-" + test + "-access-" + SUFFIX,
                "mqtap.topic.transfers", "e2e-" + test + "-transfers-" + SUFFIX);
    }

    @Test
    void countsAlertsAndGapsFlowFromRealTopicsToRealTopics(@TempDir Path stateDir) throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        SchemaRegistryServer registry = SchemaRegistryServer.shared();
        createTopics(broker);
        Map<String, String> config = config(broker, registry, stateDir);

        KafkaStreams streams = MqTapStreamsApp.start(new StreamsSettings(config));

        try {
            await("Kafka Streams RUNNING").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .failFast("Kafka Streams went to ERROR", () -> streams.state() == KafkaStreams.State.ERROR)
                    .until(() -> streams.state() == KafkaStreams.State.RUNNING);

            Instant t0 = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(10));
            Map<String, Object> producerProps = Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                    RegistryConfig.URL, registry.url());
            // a record that is not Avro first: the app skips it and goes on
            try (KafkaProducer<String, String> raw = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()))) {
                raw.send(new ProducerRecord<>(EVENTS, HOST_A, "not an Avro record")).get();
            }
            try (KafkaProducer<String, Object> producer = new KafkaProducer<>(producerProps)) {
                // run RUN on host A: sequences 0, 1, 2, 4, 5 in minute 0 (3 is lost); 1 changed its name
                long[] seqs = {0, 1, 2, 4, 5};
                for (int i = 0; i < seqs.length; i++) {
                    MqOpen e = open(HOST_A, "app", t0.plusSeconds(i)).setSequence(seqs[i])
                            .setNameChanged(seqs[i] == 1).build();
                    producer.send(new ProducerRecord<>(EVENTS, HOST_A, e));
                }
                MqOpenStats st = stats(HOST_A, RUN, t0.plusSeconds(10), 5, 5);
                producer.send(new ProducerRecord<>(STATS, HOST_A, st));
                producer.flush();
                // later events close minute 0; windows are checked for closing at most once a second
                List<MqOpenCounts> counts = new ArrayList<>();
                long[] seq = {6};
                try (KafkaConsumer<String, MqOpenCounts> c = consumer(broker, registry, COUNTS)) {
                    // the consumer stays on this thread; each poll blocks up to 1.2 s itself
                    await("counts for minute 0").atMost(Duration.ofSeconds(60)).pollInSameThread().pollDelay(Duration.ZERO)
                            .pollInterval(Duration.ofMillis(1)).until(() -> {
                                producer.send(new ProducerRecord<>(EVENTS, HOST_A, open(HOST_A, "tick",
                                        t0.plus(Duration.ofMinutes(2)).plusMillis(seq[0])).setSequence(seq[0]++).build()));
                                producer.flush();
                                c.poll(Duration.ofMillis(1200)).forEach(r -> counts.add(r.value()));
                                return !counts.isEmpty();
                            });
                }
                assertThat(counts).as("counts for minute 0").isNotEmpty();
                MqOpenCounts minute0 = counts.get(0);
                assertThat(minute0.getMachineId()).isEqualTo(HOST_A);
                assertThat(minute0.getWindowStart()).isEqualTo(t0);
                assertThat(minute0.getTotal()).isEqualTo(5);
                assertThat(minute0.getByOutcome()).isEqualTo(Map.of("success", 5L));
                assertThat(minute0.getByProcess()).isEqualTo(Map.of("app", 5L));
            }

            List<MqOpenAlert> alerts = readUntil(broker, registry, ALERTS, l -> !l.isEmpty());
            assertThat(alerts).singleElement().satisfies(a -> {
                assertThat(a.getType()).isEqualTo(MqOpenAlertType.NAME_CHANGED);
                assertThat(a.getSequence()).isEqualTo(1L);
            });
            List<MqOpenCompleteness> reports = readUntil(broker, registry, COMPLETENESS,
                    l -> l.stream().anyMatch(r -> r.getKind() == CompletenessKind.RECONCILIATION));
            assertThat(reports).filteredOn(r -> r.getKind() == CompletenessKind.GAP).singleElement()
                    .satisfies(r -> {
                        assertThat(r.getFromSequence()).isEqualTo(3L);
                        assertThat(r.getToSequence()).isEqualTo(3L);
                    });
            assertThat(reports).filteredOn(r -> r.getKind() == CompletenessKind.RECONCILIATION).first()
                    .satisfies(r -> {
                        assertThat(r.getMissing()).isEqualTo(1L);
                        assertThat(r.getSeen()).isGreaterThanOrEqualTo(5L);
                        assertThat(r.getComplete()).isFalse();
                    });
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
        } finally {
            streams.close(Duration.ofSeconds(30));
            streams.cleanUp();
        }
    }

    /** The queue table of a scripted life, read from the compacted topic and asked over HTTP (interactive queries). */
    @Test
    void theQueueTableAnswersOverHttp(@TempDir Path stateDir) throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        SchemaRegistryServer registry = SchemaRegistryServer.shared();
        createTopics(broker);
        Map<String, String> config = config(broker, registry, stateDir);
        config.put("application.id", "mqtap-streams-e2e-table-" + SUFFIX);
        config.put("mqtap.topic.events", TABLE_EVENTS); // its own: the other test's windows must not see these times
        config.put("mqtap.topic.alerts", TABLE_ALERTS);
        config.put("mqtap.topic.completeness", TABLE_COMPLETENESS);
        config.putAll(TABLE_LIFE);
        StreamsSettings settings = new StreamsSettings(config);
        KafkaStreams streams = MqTapStreamsApp.create(settings);
        streams.start();
        try (QueueQueries queries = MqTapStreamsApp.queries(streams, settings)) {
            await("Kafka Streams RUNNING").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .failFast("Kafka Streams went to ERROR", () -> streams.state() == KafkaStreams.State.ERROR)
                    .until(() -> streams.state() == KafkaStreams.State.RUNNING);
            Instant t0 = Instant.now().minus(Duration.ofMinutes(5)).truncatedTo(java.time.temporal.ChronoUnit.MICROS); // records carry micros
            String host = LifeEvents.access(HOST_A, 0, t0, 1, 1, "send", 1, 1, Map.of(), 0, "q").getHostname();
            try (KafkaProducer<String, Object> p = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                    RegistryConfig.URL, registry.url()))) {
                // LifeEvents name the queue (inode 777) "q" in every record type
            // create, open by a second user, 1000 sends and 1000 receives, setattr, notify, unlink
                p.send(new ProducerRecord<>(TABLE_EVENTS, HOST_A, LifeEvents.open(HOST_A, 100, t0, 10, 1000, "q", true)));
                p.send(new ProducerRecord<>(TABLE_EVENTS, HOST_A, LifeEvents.open(HOST_A, 101, t0.plusSeconds(1), 20, 2000, "q", false)));
                p.send(new ProducerRecord<>(TABLE_LIFE.get("mqtap.topic.access"), HOST_A,
                        LifeEvents.access(HOST_A, 102, t0.plusSeconds(10), 20, 2000, "send", 1000, 64_000, Map.of(), 0, "q")));
                p.send(new ProducerRecord<>(TABLE_LIFE.get("mqtap.topic.access"), HOST_A,
                        LifeEvents.access(HOST_A, 103, t0.plusSeconds(10), 10, 1000, "receive", 1000, 64_000, Map.of(), 0, "q")));
                p.send(new ProducerRecord<>(TABLE_LIFE.get("mqtap.topic.setattrs"), HOST_A, LifeEvents.setattr(HOST_A, 104, t0.plusSeconds(11), 10, 1000, 2048L)));
                p.send(new ProducerRecord<>(TABLE_LIFE.get("mqtap.topic.notifies"), HOST_A, LifeEvents.notify(HOST_A, 105, t0.plusSeconds(12), 20, 2000, "thread")));
                p.send(new ProducerRecord<>(TABLE_LIFE.get("mqtap.topic.unlinks"), HOST_A, LifeEvents.unlink(HOST_A, 106, t0.plusSeconds(13), 10, 1000, "q", false)));
                p.flush();
            }
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + queries.port();
            JsonNode[] row = new JsonNode[1];
            String[] lastAnswer = {"none yet"};
            try {
            await("the queue's row, unlinked").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/queues/" + host + "/q")).build(),
                        HttpResponse.BodyHandlers.ofString());
                lastAnswer[0] = r.statusCode() + " " + r.body();
                if (r.statusCode() != 200) return false;
                row[0] = AvroJson.MAPPER.readTree(r.body()).get(0);
                return row[0].path("unlinked").asBoolean();
            });
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                String every = http.send(HttpRequest.newBuilder(URI.create(base + "/queues")).build(), HttpResponse.BodyHandlers.ofString()).body();
                throw new AssertionError("the last answer of /queues/" + host + "/q: " + lastAnswer[0] + " (streams " + streams.state()
                        + "); /queues: " + every + "; tasks " + streams.metadataForLocalThreads(), e);
            }
            JsonNode q = row[0];
            assertThat(q.path("kernelName").asText()).isEqualTo("/q");
            assertThat(q.path("machineId").asText()).isEqualTo(HOST_A);
            assertThat(q.path("createdBy").path("pid").asLong()).isEqualTo(10);
            assertThat(q.path("openers").asLong()).isEqualTo(2);
            assertThat(q.path("openedBy")).extracting(n -> n.path("uid").asLong()).containsExactly(1000L, 2000L);
            assertThat(q.path("sends").asLong()).isEqualTo(1000);
            assertThat(q.path("receives").asLong()).isEqualTo(1000);
            assertThat(q.path("sendBytes").asLong()).isEqualTo(64_000);
            assertThat(q.path("lastSend").path("uid").asLong()).isEqualTo(2000);
            assertThat(q.path("attributeChanges").asLong()).isEqualTo(1);
            assertThat(q.path("notifyRegistrations").asLong()).isEqualTo(1);
            assertThat(q.path("lastNotification").asText()).isEqualTo("thread");
            assertThat(q.path("unlinkedBy").path("pid").asLong()).isEqualTo(10);
            assertThat(q.path("firstSeen").asText()).isEqualTo(t0.toString());
            // the same row by machine id and with the '/', and in the list of all
            HttpResponse<String> byId = http.send(HttpRequest.newBuilder(URI.create(base + "/queues/" + HOST_A + "/%2Fq")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(AvroJson.MAPPER.readTree(byId.body()).get(0)).isEqualTo(q);
            HttpResponse<String> all = http.send(HttpRequest.newBuilder(URI.create(base + "/queues")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(AvroJson.MAPPER.readTree(all.body())).contains(q);
            HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(base + "/queues/" + host + "/no-such")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(none.statusCode()).isEqualTo(404);
            // the compacted topic's last value for the queue's key is the row
            List<MqQueue> updates = readUntil(broker, registry, QUEUES, l -> l.stream().anyMatch(u -> u.getUnlinked()));
            MqQueue last = updates.get(updates.size() - 1);
            assertThat(last.getSends()).isEqualTo(1000);
            assertThat(last.getUnlinked()).isTrue();
        } finally {
            streams.close(Duration.ofSeconds(30));
            streams.cleanUp();
        }
    }

    private static final Object TOPICS = new Object();
    private static boolean created;

    /** Every topic the app reads or writes (once per JVM: both tests share them). */
    private static void createTopics(KafkaBroker broker) throws Exception {
        synchronized (TOPICS) {
            if (created) return;
            List<NewTopic> topics = new ArrayList<>(List.of(new NewTopic(EVENTS, 2, (short) 1), new NewTopic(STATS, 1, (short) 1),
                    new NewTopic(COUNTS, 1, (short) 1), new NewTopic(COUNTS_LATE, 1, (short) 1), new NewTopic(ALERTS, 1, (short) 1), new NewTopic(COMPLETENESS, 1, (short) 1),
                    new NewTopic(QUEUES, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")), new NewTopic(TABLE_EVENTS, 2, (short) 1),
                    new NewTopic(TABLE_ALERTS, 1, (short) 1), new NewTopic(TABLE_COMPLETENESS, 1, (short) 1)));
            LIFE.values().forEach(t -> topics.add(new NewTopic(t, 2, (short) 1)));
            TABLE_LIFE.values().forEach(t -> topics.add(new NewTopic(t, 2, (short) 1)));
            try (Admin admin = broker.admin()) {
                admin.createTopics(topics).all().get();
            }
            created = true;
        }
    }

    private static Map<String, String> config(KafkaBroker broker, SchemaRegistryServer registry, Path stateDir) {
        Map<String, String> config = new HashMap<>();
        config.put("application.id", "mqtap-streams-e2e-" + SUFFIX);
        config.put("bootstrap.servers", broker.bootstrapServers());
        config.put(RegistryConfig.URL, registry.url());
        config.put("state.dir", stateDir.toString());
        config.put("replication.factor", "1");
        config.put("commit.interval.ms", "200");
        config.put("mqtap.topic.events", EVENTS);
        config.put("mqtap.topic.stats", STATS);
        config.put("mqtap.topic.counts", COUNTS);
        config.put("mqtap.topic.counts-late", COUNTS_LATE);
        config.put("mqtap.topic.alerts", ALERTS);
        config.put("mqtap.topic.completeness", COMPLETENESS);
        config.put("mqtap.repartition.partitions", "2");
        config.put("mqtap.grace", "PT0S");
        config.put("mqtap.topic.queues", QUEUES);
        config.put("mqtap.queries.listen", "127.0.0.1:0");
        config.putAll(LIFE);
        return config;

    }

    private static <T> List<T> readUntil(KafkaBroker broker, SchemaRegistryServer registry, String topic,
                                         Predicate<List<T>> done) {
        List<T> out = new ArrayList<>();
        try (KafkaConsumer<String, T> c = consumer(broker, registry, topic)) {
            await(topic).atMost(Duration.ofSeconds(30)).pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(() -> {
                        c.poll(Duration.ofMillis(500)).forEach(r -> out.add(r.value()));
                        return done.test(out);
                    });
            // anything else already there
            c.poll(Duration.ofMillis(500)).forEach(r -> out.add(r.value()));
        }
        return out;
    }

    private static <T> KafkaConsumer<String, T> consumer(KafkaBroker broker, SchemaRegistryServer registry, String topic) {
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + topic,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName(),
                RegistryConfig.URL, registry.url(),
                RegistryConfig.SPECIFIC_READER, true);
        KafkaConsumer<String, T> c = new KafkaConsumer<>(props);
        c.subscribe(List.of(topic));
        return c;
    }
}
