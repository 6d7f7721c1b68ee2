package io.mqtap.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.connect.lake.MqOpenTable;
import io.mqtap.connect.lake.QueueLifeTables;
import io.mqtap.connect.worker.StandaloneConnectWorker;
import io.mqtap.producer.MqTapApplication;
import io.mqtap.producer.pipeline.CapturePipeline;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqLifeHelper;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.util.DateTimeUtil;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rest of a queue's life into the lake: mqtap's producer (embedded, real probe) captures a helper's every call
 * after the open, twice (sends and receives aggregated, then per call), and one standalone Connect worker with the
 * shipped iceberg-sink-life.properties sinks the five topics into their five tables, with a stop and a restart of the
 * worker between the two runs; each table read back with Iceberg's API holds every record of its topic once, field by
 * field, with the topic it came from, and an unreadable record on each topic is in the dead-letter topic.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@Timeout(300)
class QueueLifeIcebergEndToEndTest {
    private static final String CONTROL_TOPIC = "mq-life-iceberg-control";
    private static final String CONNECTOR = "mqtap-iceberg-sink-life";
    private static final Namespace NAMESPACE = Namespace.of("mqtap");

    private static KafkaBroker broker;
    private static SchemaRegistryServer registry;
    @TempDir static Path work;
    private static StandaloneConnectWorker worker;
    private static HadoopCatalog catalog;
    /** Each topic's records of the two runs, as Kafka holds them. */
    private static final Map<String, List<SpecificRecordBase>> truth = new TreeMap<>();

    @BeforeAll
    static void startEverything() throws Exception {
        Kernel.assumeBpf();
        Path target = Path.of(System.getProperty("mqtap.connect.target", "target"));
        Path config = Path.of(System.getProperty("mqtap.connect.config", "config"));
        broker = KafkaBroker.shared();
        registry = SchemaRegistryServer.shared();
        try (Admin admin = broker.admin()) {
            List<NewTopic> topics = new ArrayList<>();
            QueueLifeTables.KINDS.forEach(k -> topics.add(new NewTopic(k.topic(), 2, (short) 1)));
            topics.add(new NewTopic(CONTROL_TOPIC, 1, (short) 1));
            // the other Iceberg test's producer may have made the record topics already (one broker per JVM)
            for (var f : admin.createTopics(topics).values().values()) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) throw e;
                }
            }
        }
        String warehouse = work.resolve("warehouse").toUri().toString();
        Map<String, String> env = StandaloneConnectWorker.environment(broker.bootstrapServers(), Ports.freeLoopbackPort(),
                work.resolve("connect-data"), "http://127.0.0.1:" + registry.port() + "/apis/registry/v2", warehouse, 2_000, 8_000, 1);
        Files.createDirectories(work.resolve("connect-data"));
        Map<String, String> sinkProps = MqOpenTable.loadProperties(config.resolve("iceberg-sink-life.properties"), env::get);
        catalog = (HadoopCatalog) MqOpenTable.catalog(sinkProps);
        QueueLifeTables.createIfMissing(catalog, NAMESPACE);

        // two batches with a stop (SIGTERM) and a restart of the worker between them: the second worker goes on from
        // the committed offsets, writing nothing twice and leaving nothing out; an unreadable record on every topic
        // before them goes to the dead-letter topic while the task runs on
        String first = capture("aggregate");
        readTopics(List.of(first));
        publishPoison();
        worker = startWorker(target, config, env, "connect-worker-life-1.log");
        for (QueueLifeTables.Kind k : QueueLifeTables.KINDS) {
            awaitRows(catalog.loadTable(org.apache.iceberg.catalog.TableIdentifier.of(NAMESPACE, k.table())), truth.get(k.topic()).size());
        }
        worker.close();
        keepLog();
        String second = capture("perCall");
        readTopics(List.of(first, second));
        worker = startWorker(target, config, env, "connect-worker-life-2.log");
    }

    private static StandaloneConnectWorker startWorker(Path target, Path config, Map<String, String> env, String log) throws Exception {
        StandaloneConnectWorker w = StandaloneConnectWorker.start(target.resolve("worker-lib"), config.resolve("worker-standalone.properties"),
                target.resolve("plugins"), List.of(config.resolve("iceberg-sink-life.properties")), env, work.resolve(log));
        w.awaitRunning(CONNECTOR, Duration.ofSeconds(60));
        return w;
    }

    private static void keepLog() throws IOException {
        Files.copy(worker.logFile(), Path.of(System.getProperty("mqtap.connect.target", "target"))
                .resolve(worker.logFile().getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Bytes no converter can read (no wire-format magic byte), once on each of the five topics. */
    private static void publishPoison() throws Exception {
        try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> p = new org.apache.kafka.clients.producer.KafkaProducer<>(Map.of(
                org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                org.apache.kafka.clients.producer.ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class.getName(),
                org.apache.kafka.clients.producer.ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class.getName()))) {
            for (QueueLifeTables.Kind k : QueueLifeTables.KINDS) {
                p.send(new org.apache.kafka.clients.producer.ProducerRecord<>(k.topic(), "poison".getBytes(java.nio.charset.StandardCharsets.UTF_8), POISON)).get();
            }
        }
    }

    private static final byte[] POISON = "not a record of any schema".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final String DLQ_TOPIC = "mq-life-events-dlq";

    @AfterAll
    static void stopEverything() throws IOException {
        if (worker != null) {
            worker.close();
            keepLog();
        }
        if (catalog != null) catalog.close();
    }

    /** One producer run (embedded, stopped before this returns) over a helper's whole queue life under a comm of its own; its run id. */
    private static String capture(String accessMode) throws Exception {
        String comm = "lk" + UUID.randomUUID().toString().substring(0, 8);
        Path config = Files.createTempFile("mqtap-life-producer-", ".yml");
        Path dir = Files.createTempDirectory("mqtap-life-spool-");
        Files.writeString(config, String.join("\n",
                // opens to a topic of their own: mq-open-events belongs to the MqOpen sink's test (one broker per JVM)
                "kafka: {bootstrapServers: '" + broker.bootstrapServers() + "', topic: lk-open-events, minReplication: 1, minInsyncReplicas: 1}",
                "spool: {dir: '" + dir.resolve("spool") + "'}",
                "schemaRegistry: {url: '" + registry.url() + "'}",
                "capture: {filters: {includeComms: [" + comm + "]}, access: {mode: " + accessMode + ", window: 10m}}",
                "server:",
                "  applicationConnectors: [{type: http, port: 0}]",
                "  adminConnectors: [{type: http, port: 0}]",
                "  requestLog: {appenders: []}",
                "logging: {level: WARN}",
                ""));
        Embedded app = new Embedded();
        CapturePipeline p;
        try {
            // as a fleet's CI/CD does (the producer only looks its schemas up)
            io.mqtap.producer.cli.RegisterSchemasCommand.register(config);
            app.run("server", config.toString());
            p = app.pipeline();
            List<String> steps = new ArrayList<>(List.of("comm=" + comm));
            steps.addAll(MqLifeHelper.everyCall("lk-" + comm));
            MqLifeHelper.run(Duration.ofSeconds(60), steps);
        } finally {
            // the stop publishes everything captured, the last access window too
            if (app.server() != null) app.server().stop();
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
            Files.deleteIfExists(config);
        }
        var c = p.counters();
        assertThat(c.published()).as("everything captured published: " + c).isEqualTo(c.captured());
        return p.host().runId();
    }

    private static final class Embedded extends MqTapApplication {
        @Override
        protected void onFatalError(Throwable t) {
            throw new IllegalStateException("the producer did not start: " + t.getMessage(), t);
        }
    }

    /** The runs' records on each topic, read with mqtap's deserializer (the poison skipped): what each table must hold. */
    private static void readTopics(List<String> runs) {
        QueueLifeTables.KINDS.forEach(k -> truth.put(k.topic(), new ArrayList<>()));
        Map<String, Object> cfg = Map.of(RegistryConfig.URL, registry.url(), RegistryConfig.SPECIFIC_READER, true);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "life-reader-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()));
             AvroDeserializer<SpecificRecordBase> values = new AvroDeserializer<>()) {
            values.configure(cfg, false);
            consumer.subscribe(List.copyOf(truth.keySet()));
            await("both runs' records").atMost(Duration.ofSeconds(30)).pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(() -> {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                            if (java.util.Arrays.equals(r.value(), POISON)) continue;
                            SpecificRecordBase v = values.deserialize(r.topic(), r.value());
                            if (runs.contains(v.get("runId").toString())) truth.get(r.topic()).add(v);
                        }
                        // the aggregated run makes no per-call transfers
                        return truth.entrySet().stream().allMatch(e -> !e.getValue().isEmpty() || e.getKey().equals("mq-transfer-events"));
                    });
            // anything else of the runs has had time to arrive
            long until = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < until) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    if (java.util.Arrays.equals(r.value(), POISON)) continue;
                    SpecificRecordBase v = values.deserialize(r.topic(), r.value());
                    if (runs.contains(v.get("runId").toString())) truth.get(r.topic()).add(v);
                }
            }
        }
    }

    @Test
    void eachTopicLandsInItsOwnTableOnceFieldByField() throws Exception {
        // everyCall: two unlinks, three notifies, three getsetattrs per run; sends and receives per call in the second
        assertThat(truth.get("mq-unlink-events")).hasSize(4);
        assertThat(truth.get("mq-notify-events")).hasSize(6);
        assertThat(truth.get("mq-setattr-events")).hasSize(6);
        assertThat(truth.get("mq-access-events")).as("aggregated: q's sends and receives, the bad descriptor's").hasSize(4);
        assertThat(truth.get("mq-transfer-events")).as("per call: 5 sends, 5 receives").hasSize(10);
        for (QueueLifeTables.Kind k : QueueLifeTables.KINDS) {
            List<SpecificRecordBase> records = truth.get(k.topic());
            Table table = catalog.loadTable(org.apache.iceberg.catalog.TableIdentifier.of(NAMESPACE, k.table()));
            List<Record> rows = awaitRows(table, records.size());
            assertThat(rows).as(k.table()).hasSize(records.size());
            Map<String, Record> byKey = new HashMap<>();
            for (Record r : rows) {
                assertThat(byKey.put(r.getField("runId") + "/" + r.getField("sequence"), r)).as("one row per record").isNull();
                assertThat(r.getField(QueueLifeTables.TOPIC_COLUMN)).isEqualTo(k.topic());
            }
            for (SpecificRecordBase e : records) {
                Record row = byKey.get(e.get("runId") + "/" + e.get("sequence"));
                assertThat(row).as("%s row for %s/%s", k.table(), e.get("runId"), e.get("sequence")).isNotNull();
                for (Schema.Field f : k.avro().getFields()) {
                    assertThat(normalize(row.getField(f.name()))).as("%s.%s of %s", k.table(), f.name(), e.get("sequence"))
                            .isEqualTo(normalize(e.get(f.pos())));
                }
            }
            assertThat(table.spec().fields()).singleElement()
                    .satisfies(f -> assertThat(table.schema().findColumnName(f.sourceId())).isEqualTo("timestamp"));
        }
        assertThat(worker.isAlive()).isTrue();
    }

    @Test
    void anUnreadableRecordOnEachTopicLandsInTheDeadLetterTopic() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> dlq = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "life-dlq-reader-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()))) {
            consumer.subscribe(List.of(DLQ_TOPIC));
            await("a dead-letter record from each topic").atMost(Duration.ofSeconds(60)).pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(() -> {
                        consumer.poll(Duration.ofMillis(500)).forEach(dlq::add);
                        return dlq.stream().map(QueueLifeIcebergEndToEndTest::source).distinct().count() >= QueueLifeTables.KINDS.size();
                    });
        }
        // at-least-once: the restarted worker may report one again; what must hold is that only the poison is there
        java.util.Set<String> topics = new java.util.TreeSet<>();
        for (ConsumerRecord<byte[], byte[]> r : dlq) {
            assertThat(r.value()).as("a DLQ record is the unreadable record, unchanged").isEqualTo(POISON);
            assertThat(header(r, "__connect.errors.stage")).isEqualTo("VALUE_CONVERTER");
            topics.add(header(r, "__connect.errors.topic"));
        }
        assertThat(topics).as("one from every topic").containsExactlyInAnyOrderElementsOf(
                QueueLifeTables.KINDS.stream().map(QueueLifeTables.Kind::topic).toList());
        worker.awaitRunning(CONNECTOR, Duration.ofSeconds(30));
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        var h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The record a dead-letter record reports, by its topic, partition and offset. */
    private static String source(ConsumerRecord<byte[], byte[]> r) {
        return header(r, "__connect.errors.topic") + "/" + header(r, "__connect.errors.partition") + "@" + header(r, "__connect.errors.offset");
    }

    private static List<Record> awaitRows(Table table, int expected) {
        try {
            return await(expected + " rows in " + table.name()).atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .failFast("the worker died", () -> !worker.isAlive())
                    .until(() -> readRows(table), rows -> rows.size() >= expected);
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            throw new AssertionError(e.getMessage() + "; worker log:\n" + worker.logTail(80), e);
        }
    }

    private static List<Record> readRows(Table table) throws IOException {
        table.refresh();
        if (table.currentSnapshot() == null) return List.of();
        List<Record> rows = new ArrayList<>();
        try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
            it.forEach(r -> rows.add(r.copy()));
        }
        return rows;
    }

    /** One comparable form for an Avro value and an Iceberg value of the same field. */
    private static Object normalize(Object v) {
        if (v == null) return null;
        if (v instanceof ByteBuffer b) {
            byte[] bytes = new byte[b.duplicate().remaining()];
            b.duplicate().get(bytes);
            return "hex:" + HexFormat.of().formatHex(bytes);
        }
        if (v instanceof byte[] bytes) return "hex:" + HexFormat.of().formatHex(bytes);
        if (v instanceof Instant i) return "micros:" + (i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000);
        if (v instanceof OffsetDateTime t) return "micros:" + DateTimeUtil.microsFromTimestamptz(t);
        if (v instanceof CharSequence s) return s.toString();
        if (v instanceof List<?> l) return l.stream().map(QueueLifeIcebergEndToEndTest::normalize).toList();
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new TreeMap<>();
            m.forEach((k, x) -> out.put(k.toString(), normalize(x)));
            return out;
        }
        if (v instanceof IndexedRecord r) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Schema.Field f : r.getSchema().getFields()) m.put(f.name(), normalize(r.get(f.pos())));
            return m;
        }
        if (v instanceof Record r) {
            Map<String, Object> m = new LinkedHashMap<>();
            r.struct().fields().forEach(f -> m.put(f.name(), normalize(r.getField(f.name()))));
            return m;
        }
        return v;
    }
}
