package io.mqtap.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.avro.MqOpen;
import io.mqtap.connect.lake.MqOpenTable;
import io.mqtap.connect.worker.StandaloneConnectWorker;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.hostile.CraftedRecords;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.errors.SerializationException;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * MqOpen records published to a real broker through mqtap's serializer and a real registry are sunk by a
 * standalone Connect worker (its own JVM, the shipped config files, the assembled plugin directories) into a
 * local Iceberg table, across a stop and restart of the worker between two batches; the table read back with
 * Iceberg's API holds every published record once, field by field, partitioned by day; a record that cannot
 * be read, and each crafted hostile record, lands in the dead-letter topic while the task keeps running.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@Timeout(420)
class IcebergSinkEndToEndTest {
    private static final String TOPIC = "mq-open-events";
    private static final String CONTROL_TOPIC = "mq-open-events-iceberg-control";
    private static final String DLQ_TOPIC = "mq-open-events-dlq";
    private static final String CONNECTOR = "mqtap-iceberg-sink";
    private static final TableIdentifier TABLE = TableIdentifier.of("mqtap", "mq_open");
    private static final int EVENTS = 200;
    private static final byte[] POISON = "not an Avro record".getBytes(StandardCharsets.UTF_8);

    /** First batch: synthetic records covering every field shape and three UTC days. */
    private static final MqOpenPublisher PUBLISHER = new SyntheticMqOpenPublisher(EVENTS);
    /** Second batch: real mq_open calls captured by the kernel probe and published by mqtap's producer service. */
    private static final MqOpenPublisher CAPTURED = new CapturedMqOpenPublisher(EVENTS);

    private static KafkaBroker broker;
    private static SchemaRegistryServer registry;
    @TempDir static Path work;
    private static StandaloneConnectWorker worker;
    private static HadoopCatalog catalog;
    private static int published;
    /** Hostile records by attack (a count or length that lies, truncated, unknown schema id, bad magic), beside POISON. */
    private static Map<String, byte[]> crafted;

    @BeforeAll
    static void startEverything() throws Exception {
        Kernel.assumeBpf();
        Path target = Path.of(System.getProperty("mqtap.connect.target", "target"));
        Path config = Path.of(System.getProperty("mqtap.connect.config", "config"));
        broker = KafkaBroker.shared();
        registry = SchemaRegistryServer.shared();
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1), new NewTopic(CONTROL_TOPIC, 1, (short) 1)))
                    .all().get();
        }
        String warehouse = work.resolve("warehouse").toUri().toString();
        Map<String, String> env = StandaloneConnectWorker.environment(broker.bootstrapServers(),
                Ports.freeLoopbackPort(), work.resolve("connect-data"),
                "http://127.0.0.1:" + registry.port() + "/apis/registry/v2", warehouse,
                2_000, 8_000, 1);
        Files.createDirectories(work.resolve("connect-data"));

        // the table, created from the same connector file the worker reads
        Map<String, String> sinkProps = MqOpenTable.loadProperties(config.resolve("iceberg-sink.properties"), env::get);
        assertThat(sinkProps.get("iceberg.tables")).isEqualTo(TABLE.toString());
        catalog = (HadoopCatalog) MqOpenTable.catalog(sinkProps);
        MqOpenTable.createIfMissing(catalog, TABLE);

        // published before the worker starts: the sink must read from the beginning
        published = PUBLISHER.publish(broker.bootstrapServers(), registry.url(), TOPIC);
        publishPoison();
        worker = startWorker(target, config, env, "connect-worker-1.log");
        awaitRows(catalog.loadTable(TABLE), published, Duration.ofSeconds(120));

        // a stop (SIGTERM) and a restart between two batches: the second worker must go on from the
        // committed offsets, writing nothing twice and leaving nothing out
        worker.close();
        keepLog();
        published += CAPTURED.publish(broker.bootstrapServers(), registry.url(), TOPIC);
        worker = startWorker(target, config, env, "connect-worker-2.log");
    }

    private static StandaloneConnectWorker startWorker(Path target, Path config, Map<String, String> env, String log)
            throws Exception {
        StandaloneConnectWorker w = StandaloneConnectWorker.start(target.resolve("worker-lib"),
                config.resolve("worker-standalone.properties"), target.resolve("plugins"),
                List.of(config.resolve("iceberg-sink.properties")), env, work.resolve(log));
        w.awaitRunning(CONNECTOR, Duration.ofSeconds(60));
        return w;
    }

    /** The worker's log is kept in target/ for a look after the run; the rest of the work dir goes. */
    private static void keepLog() throws IOException {
        Path target = Path.of(System.getProperty("mqtap.connect.target", "target"));
        Files.copy(worker.logFile(), target.resolve(worker.logFile().getFileName()),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @AfterAll
    static void stopEverything() throws IOException {
        if (worker != null) {
            worker.close();
            keepLog();
        }
        if (catalog != null) {
            catalog.close();
        }
    }

    @Test
    void everyPublishedRecordIsInTheTableOnceFieldByField() throws Exception {
        List<MqOpen> truth = readTopic();
        // the captured batch holds the helper's calls and any other mq_open on the host meanwhile
        assertThat(truth).hasSize(published).hasSizeGreaterThan(2 * EVENTS);

        Table table = catalog.loadTable(TABLE);
        List<Record> rows = awaitRows(table, truth.size(), Duration.ofSeconds(120));
        // one more commit interval and more: nothing arrives twice later
        Thread.sleep(5_000);
        rows = readRows(table);
        assertThat(rows).hasSize(truth.size());

        Map<String, Record> byKey = new HashMap<>();
        for (Record r : rows) {
            String key = r.getField("runId") + "/" + r.getField("sequence");
            assertThat(byKey.put(key, r)).as("duplicate row %s", key).isNull();
        }
        Schema avro = MqOpen.getClassSchema();
        for (MqOpen e : truth) {
            Record row = byKey.get(e.getRunId() + "/" + e.getSequence());
            assertThat(row).as("row for %s/%s", e.getRunId(), e.getSequence()).isNotNull();
            for (Schema.Field f : avro.getFields()) {
                assertThat(normalize(row.getField(f.name())))
                        .as("field %s of %s/%s", f.name(), e.getRunId(), e.getSequence())
                        .isEqualTo(normalize(e.get(f.pos())));
            }
        }
        assertThat(worker.isAlive()).isTrue();
    }

    @Test
    void tableIsPartitionedByDayOfTheEventTimestamp() throws Exception {
        List<MqOpen> truth = readTopic();
        Table table = catalog.loadTable(TABLE);
        awaitRows(table, truth.size(), Duration.ofSeconds(120));
        table.refresh();
        assertThat(table.spec().fields()).singleElement()
                .satisfies(f -> assertThat(f.transform().toString()).isEqualTo("day"))
                .satisfies(f -> assertThat(table.schema().findColumnName(f.sourceId())).isEqualTo("timestamp"));

        Set<LocalDate> expectedDays = new TreeSet<>();
        truth.forEach(e -> expectedDays.add(LocalDate.ofInstant(e.getTimestamp(), ZoneOffset.UTC)));
        assertThat(expectedDays).hasSizeGreaterThanOrEqualTo(3);

        Set<LocalDate> fileDays = new TreeSet<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            for (FileScanTask t : tasks) {
                DataFile file = t.file();
                Integer day = file.partition().get(0, Integer.class);
                fileDays.add(LocalDate.ofEpochDay(day));
                assertThat(file.path().toString()).contains("timestamp_day=" + LocalDate.ofEpochDay(day));
            }
        }
        assertThat(fileDays).isEqualTo(expectedDays);
    }

    @Test
    void unreadableAndCraftedRecordsLandInTheDeadLetterQueue() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> dlq = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = bytesConsumer()) {
            consumer.subscribe(List.of(DLQ_TOPIC));
            await("a dead-letter record per bad record").atMost(Duration.ofSeconds(60)).pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(() -> {
                        consumer.poll(Duration.ofMillis(500)).forEach(dlq::add);
                        return dlq.stream().map(r -> ByteBuffer.wrap(r.value())).distinct().count() >= badRecords();
                    });
            // anything else that was going to land there has had time to
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(() -> {
                        consumer.poll(Duration.ofMillis(300)).forEach(dlq::add);
                        return true;
                    });
        }
        // the DLQ is at-least-once: a worker restarted before the sink committed anything from the poison
        // record's partition reads it, and reports it, again. What must hold: only the bad records are there, each.
        assertThat(dlq).as("DLQ records").isNotEmpty();
        Set<ByteBuffer> bad = new java.util.HashSet<>();
        bad.add(ByteBuffer.wrap(POISON));
        crafted.values().forEach(v -> bad.add(ByteBuffer.wrap(v)));
        Set<String> sources = new TreeSet<>();
        Set<ByteBuffer> seen = new java.util.HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : dlq) {
            assertThat(bad).as("a DLQ record is one of the bad records, unchanged").contains(ByteBuffer.wrap(r.value()));
            seen.add(ByteBuffer.wrap(r.value()));
            Map<String, String> headers = new LinkedHashMap<>();
            for (Header h : r.headers()) {
                headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
            }
            assertThat(headers).containsEntry("__connect.errors.topic", TOPIC)
                    .containsEntry("__connect.errors.stage", "VALUE_CONVERTER")
                    .containsKey("__connect.errors.exception.class.name");
            sources.add(headers.get("__connect.errors.partition") + "@" + headers.get("__connect.errors.offset"));
        }
        assertThat(seen).as("every bad record (" + String.join(", ", crafted.keySet()) + ", poison) in the DLQ").isEqualTo(bad);
        assertThat(sources).as("distinct source records in the DLQ").hasSize(badRecords());
        // and the worker lived through them: its task still runs (the table test shows it sank every real record after them)
        worker.awaitRunning(CONNECTOR, Duration.ofSeconds(30));
    }

    private static void publishPoison() throws Exception {
        // real up to one field, under the schema id the real records use: the converter must not allocate what they declare
        MqOpen real = new SyntheticMqOpenPublisher(1).events().get(0);
        try (AvroSerializer<MqOpen> ser = new AvroSerializer<>()) {
            ser.configure(Map.of(RegistryConfig.URL, registry.url()), false);
            crafted = CraftedRecords.against(real, ser.serialize(TOPIC, real), "flags", "name", "nameRaw", "podLabels");
        }
        Map<String, Object> props = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props)) {
            p.send(new ProducerRecord<>(TOPIC, "poison".getBytes(StandardCharsets.UTF_8), POISON)).get();
            for (byte[] bad : crafted.values()) p.send(new ProducerRecord<>(TOPIC, "crafted".getBytes(StandardCharsets.UTF_8), bad)).get();
        }
    }

    /** The bad records on the topic: POISON and every crafted one. */
    private static int badRecords() {
        return 1 + crafted.size();
    }

    /** What is on the topic, read with mqtap's deserializer: the truth the table is compared with. */
    private static List<MqOpen> readTopic() {
        List<MqOpen> out = new ArrayList<>();
        int[] unreadable = {0};
        try (KafkaConsumer<byte[], byte[]> consumer = bytesConsumer();
             AvroDeserializer<MqOpen> deserializer = new AvroDeserializer<>()) {
            deserializer.configure(Map.of(RegistryConfig.URL, registry.url(), RegistryConfig.SPECIFIC_READER, true), false);
            consumer.subscribe(List.of(TOPIC));
            int[] total = {0};
            await("the topic's " + (published + badRecords()) + " records").atMost(Duration.ofSeconds(30)).pollInSameThread()
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                            total[0]++;
                            try {
                                out.add(deserializer.deserialize(TOPIC, r.value()));
                            } catch (SerializationException e) {
                                unreadable[0]++;
                            }
                        }
                        return total[0] >= published + badRecords();
                    });
        }
        assertThat(unreadable[0]).as("poison and crafted records on the topic").isEqualTo(badRecords());
        return out;
    }

    private static KafkaConsumer<byte[], byte[]> bytesConsumer() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "e2e-reader-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()));
    }

    private static List<Record> awaitRows(Table table, int expected, Duration timeout) {
        try {
            return await(expected + " rows in the table").atMost(timeout).pollInterval(Duration.ofMillis(500))
                    .failFast("the worker died", () -> !worker.isAlive())
                    .until(() -> readRows(table), rows -> rows.size() >= expected);
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            throw new AssertionError(e.getMessage() + "; worker log:\n" + worker.logTail(80), e);
        }
    }

    private static List<Record> readRows(Table table) throws IOException {
        table.refresh();
        if (table.currentSnapshot() == null) {
            return List.of();
        }
        List<Record> rows = new ArrayList<>();
        try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
            it.forEach(r -> rows.add(r.copy()));
        }
        return rows;
    }

    /** One comparable form for an Avro value and an Iceberg value of the same field. */
    private static Object normalize(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof ByteBuffer b) {
            ByteBuffer d = b.duplicate();
            byte[] bytes = new byte[d.remaining()];
            d.get(bytes);
            return "hex:" + HexFormat.of().formatHex(bytes);
        }
        if (v instanceof byte[] bytes) {
            return "hex:" + HexFormat.of().formatHex(bytes);
        }
        if (v instanceof Instant i) {
            return "micros:" + (i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000);
        }
        if (v instanceof OffsetDateTime t) {
            return "micros:" + DateTimeUtil.microsFromTimestamptz(t);
        }
        if (v instanceof CharSequence s) {
            return s.toString();
        }
        if (v instanceof List<?> l) {
            return l.stream().map(IcebergSinkEndToEndTest::normalize).toList();
        }
        if (v instanceof IndexedRecord r) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Schema.Field f : r.getSchema().getFields()) {
                m.put(f.name(), normalize(r.get(f.pos())));
            }
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
