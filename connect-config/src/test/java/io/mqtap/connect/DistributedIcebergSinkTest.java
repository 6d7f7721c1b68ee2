package io.mqtap.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.mqtap.avro.MqOpen;
import io.mqtap.connect.lake.MqOpenTable;
import io.mqtap.connect.worker.DistributedConnectWorker;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaCluster;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Iceberg sink on a distributed Connect cluster: two {@code ConnectDistributed} workers (own JVMs, the shipped
 * {@code worker-distributed.properties}, REST on free 127.0.0.1 ports) against a 3-node testkit cluster (own JVMs,
 * replication 3), the connector submitted through the REST API from the shipped {@code iceberg-sink.properties}.
 * While records keep arriving, the worker running the sink's task is SIGKILLed by its pid (a process, so the kill is
 * a real crash: no group leave, no last commit, its uncommitted data files orphaned); the task must move to the other
 * worker, and the table must then hold every record acknowledged by the brokers exactly once by the dedup key
 * (machine id, run id, sequence).
 *
 * <p>Not in the default suite (tag {@code distributed}, excluded by this module's POM): it takes ~3 minutes on the
 * loaded 2-core build machine, most of it the cluster's and the workers' start. Run it with {@code -DexcludedGroups=none}.
 */
@Tag("broker")
@Tag("registry")
@Tag("jvm")
@Tag("distributed")
@Timeout(300)
class DistributedIcebergSinkTest {
    private static final String TOPIC = "mq-open-events";
    private static final String CONTROL_TOPIC = "mq-open-events-iceberg-control";
    private static final String CONNECTOR = "mqtap-iceberg-sink";
    private static final TableIdentifier TABLE = TableIdentifier.of("mqtap", "mq_open");
    /** Records per batch; a batch every 250 ms while the stream runs (new run ids each batch, so keys stay unique). */
    private static final int BATCH = 20;

    @TempDir static Path work;
    private static KafkaCluster cluster;
    private static SchemaRegistryServer registry;
    private static final List<DistributedConnectWorker> workers = new ArrayList<>();
    private static HadoopCatalog catalog;
    private static Path config;

    @BeforeAll
    static void startCluster() throws Exception {
        Path target = Path.of(System.getProperty("mqtap.connect.target", "target"));
        config = Path.of(System.getProperty("mqtap.connect.config", "config"));
        cluster = KafkaCluster.start(work.resolve("kafka"), 3, System.getProperty("java.class.path"));
        registry = SchemaRegistryServer.shared();
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3), new NewTopic(CONTROL_TOPIC, 1, (short) 3)))
                    .all().get(60, TimeUnit.SECONDS);
        }
        String warehouse = work.resolve("warehouse").toUri().toString();
        for (int i = 1; i <= 2; i++) {
            Map<String, String> env = environment(Ports.freeLoopbackPort(), warehouse);
            workers.add(DistributedConnectWorker.start(target.resolve("worker-lib"), config.resolve("worker-distributed.properties"),
                    target.resolve("plugins"), env, work.resolve("connect-distributed-" + i + ".log")));
        }
        for (DistributedConnectWorker w : workers) w.awaitReady(Duration.ofSeconds(90));

        Map<String, String> sinkProps = MqOpenTable.loadProperties(config.resolve("iceberg-sink.properties"),
                environment(0, warehouse)::get);
        catalog = (HadoopCatalog) MqOpenTable.catalog(sinkProps);
        MqOpenTable.createIfMissing(catalog, TABLE);
    }

    private static Map<String, String> environment(int restPort, String warehouse) {
        return DistributedConnectWorker.environment(cluster.bootstrapServers(), restPort,
                "http://127.0.0.1:" + registry.port() + "/apis/registry/v2", warehouse, 2_000, 8_000, 3, 3_000);
    }

    @AfterAll
    static void stopEverything() throws Exception {
        Path target = Path.of(System.getProperty("mqtap.connect.target", "target"));
        for (DistributedConnectWorker w : workers) {
            w.close();
            if (Files.exists(w.logFile())) {
                Files.copy(w.logFile(), target.resolve(w.logFile().getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (catalog != null) catalog.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void everyRecordIsInTheTableOnceAfterTheTasksWorkerIsKilledMidStream() throws Exception {
        Set<String> made = ConcurrentHashMap.newKeySet();
        AtomicBoolean streaming = new AtomicBoolean(true);
        var publisher = java.util.concurrent.Executors.newSingleThreadExecutor();
        Future<?> stream = publisher.submit(() -> {
            publishWhile(streaming, made);
            return null;
        });
        try {
            // submitted to one worker as the shipped file's keys, ${env:...} left for each worker to resolve
            workers.get(1).putConnector(CONNECTOR, DistributedConnectWorker.connectorConfig(config.resolve("iceberg-sink.properties")),
                    Duration.ofSeconds(60));
            String before = await("the sink's task RUNNING").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> runningTaskWorker(workers.get(0)), w -> w != null);
            Table table = catalog.loadTable(TABLE);
            awaitRows(table, 1, Duration.ofSeconds(90)); // a first commit: the kill falls between two of them

            DistributedConnectWorker victim = workers.stream().filter(w -> w.workerId().equals(before)).findFirst().orElseThrow();
            DistributedConnectWorker survivor = workers.stream().filter(w -> w != victim).findFirst().orElseThrow();
            int madeAtKill = made.size();
            victim.kill();
            String after = await("the task RUNNING on the other worker").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> runningTaskWorker(survivor), w -> survivor.workerId().equals(w));
            assertThat(after).isNotEqualTo(before);
            // the stream goes on past the move, then stops: the new task must take it all from the committed offsets
            int madeAtMove = made.size();
            await().atMost(Duration.ofSeconds(30)).until(() -> made.size() >= madeAtMove + 4 * BATCH);
            streaming.set(false);
            stream.get(60, TimeUnit.SECONDS);
            assertThat(madeAtKill).as("records made before the kill").isPositive();

            List<Record> rows = awaitRows(table, made.size(), Duration.ofSeconds(120));
            Thread.sleep(5_000); // two more commit intervals: nothing arrives twice later
            rows = readRows(table);
            Map<String, Integer> perKey = new HashMap<>();
            for (Record r : rows) {
                perKey.merge(r.getField("machineId") + "/" + r.getField("runId") + "/" + r.getField("sequence"), 1, Integer::sum);
            }
            assertThat(perKey.keySet()).as("keys in the table vs the records the brokers acknowledged").isEqualTo(new HashSet<>(made));
            assertThat(perKey.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList())
                    .as("keys written more than once").isEmpty();
            assertThat(rows).hasSize(made.size());
            assertThat(victim.isAlive()).isFalse();
            assertThat(survivor.isAlive()).isTrue();
        } finally {
            streaming.set(false);
            publisher.shutdownNow();
        }
    }

    /** Batches of synthetic records from two hosts, each acknowledged (acks=all, idempotent) before it counts as made. */
    private static void publishWhile(AtomicBoolean streaming, Set<String> made) throws Exception {
        Map<String, Object> props = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                RegistryConfig.URL, registry.url());
        try (KafkaProducer<String, MqOpen> producer = new KafkaProducer<>(props)) {
            while (streaming.get()) {
                List<MqOpen> batch = new SyntheticMqOpenPublisher(BATCH).events();
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (MqOpen e : batch) sent.add(producer.send(new ProducerRecord<>(TOPIC, e.getMachineId(), e)));
                producer.flush();
                for (int i = 0; i < batch.size(); i++) {
                    sent.get(i).get(30, TimeUnit.SECONDS);
                    MqOpen e = batch.get(i);
                    made.add(e.getMachineId() + "/" + e.getRunId() + "/" + e.getSequence());
                }
                Thread.sleep(250);
            }
        }
    }

    /** The worker id of the connector's task 0 if it is RUNNING (as the asked worker sees the cluster), else null. */
    private static String runningTaskWorker(DistributedConnectWorker asked) throws Exception {
        JsonNode status = asked.status(CONNECTOR);
        if (status == null) return null;
        JsonNode task = status.path("tasks").path(0);
        if ("FAILED".equals(task.path("state").asText())) {
            throw new IllegalStateException("the sink's task failed: " + status);
        }
        return "RUNNING".equals(task.path("state").asText()) ? task.path("worker_id").asText() : null;
    }

    private static List<Record> awaitRows(Table table, int expected, Duration timeout) {
        try {
            return await(expected + " rows in the table").atMost(timeout).pollInterval(Duration.ofMillis(500))
                    .until(() -> readRows(table), rows -> rows.size() >= expected);
        } catch (ConditionTimeoutException e) {
            StringBuilder logs = new StringBuilder();
            for (DistributedConnectWorker w : workers) logs.append("\n--- ").append(w.workerId()).append('\n').append(w.logTail(40));
            throw new AssertionError(e.getMessage() + logs, e);
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
}
