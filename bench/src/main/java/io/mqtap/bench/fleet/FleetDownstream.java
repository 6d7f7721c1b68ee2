package io.mqtap.bench.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import io.mqtap.connect.lake.MqOpenTable;
import io.mqtap.connect.worker.DistributedConnectWorker;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.streams.avro.CompletenessKind;
import io.mqtap.streams.avro.MqOpenCompleteness;
import io.mqtap.streams.avro.MqOpenCounts;
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
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code ./mqtap bench fleet --downstream}: the fleet's topic consumed, while the hosts run, by the engines' own
 * scale-out. The Streams app as 2 instances (own JVMs, same application id, own state dirs, the shipped
 * {@code streams.properties}: exactly-once, replication 3) and the Iceberg sink on a distributed Connect cluster of 2
 * workers (own JVMs, the shipped {@code worker-distributed.properties}, the connector submitted through REST with 2
 * tasks). Mid-run one Streams instance and the Connect worker running task 0 are SIGKILLed by their pids; the Streams
 * instance is started again 10 s later on its state dir, the worker is not (the survivor carries both tasks). After the
 * run: every host's per-minute counts against what the host made, no completeness gap, the completeness store's size,
 * the Iceberg table against every record made (by machine id, run id, sequence); throughout, both groups' lag sampled
 * every second from their committed offsets.
 */
final class FleetDownstream implements AutoCloseable {
    static final String APPLICATION_ID = "mqtap-streams";
    private static final String CONNECTOR = "mqtap-iceberg-sink";
    private static final String CONTROL_TOPIC = "mq-open-events-iceberg-control";
    private static final TableIdentifier TABLE = TableIdentifier.of("mqtap", "mq_open");
    private static final List<String> STREAMS_TOPICS = List.of("mq-open-counts", "mq-open-counts-late", "mq-open-alerts", "mq-open-completeness",
            "mq-unlink-events", "mq-notify-events", "mq-setattr-events", "mq-access-events", "mq-transfer-events",
            "mq-open-streams-dlq");

    private final KafkaCluster cluster;
    private final SchemaRegistryServer registry;
    private final String eventsTopic;
    private final Path dir;
    private final List<StreamsInstance> streams = new ArrayList<>();
    private final List<DistributedConnectWorker> workers = new ArrayList<>();
    private final Admin admin;
    private final GroupLag streamsLag, connectLag;
    private final ScheduledExecutorService sampler = Executors.newScheduledThreadPool(2);
    private final long t0 = System.nanoTime();
    private volatile String phase = "start";
    private HadoopCatalog catalog;
    /** The shipped config's mqtap.grace: a minute's count is published when event time passes its end plus this. */
    private final Duration grace;

    private FleetDownstream(KafkaCluster cluster, SchemaRegistryServer registry, String eventsTopic, Path dir) {
        this.cluster = cluster;
        this.registry = registry;
        this.eventsTopic = eventsTopic;
        this.dir = dir;
        this.admin = cluster.admin();
        this.streamsLag = new GroupLag(admin, APPLICATION_ID, eventsTopic);
        this.connectLag = new GroupLag(admin, "connect-" + CONNECTOR, eventsTopic);
        this.grace = shippedGrace(Path.of(System.getProperty("mqtap.root", ".")).resolve("streams/config/streams.properties"));
    }

    private static Duration shippedGrace(Path shipped) {
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(shipped)) {
            p.load(r);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return Duration.parse(p.getProperty("mqtap.grace", "PT2M"));
    }

    /** How long the hosts go on after the storm so that its minutes close: a minute, the grace and a margin. */
    Duration tail() {
        return grace.plusSeconds(75);
    }

    /** Topics, the table, 2 Connect workers with the sink RUNNING, 2 Streams instances, and the lag sampler. */
    static FleetDownstream start(KafkaCluster cluster, SchemaRegistryServer registry, String eventsTopic, int brokers, Path dir)
            throws Exception {
        FleetDownstream d = new FleetDownstream(cluster, registry, eventsTopic, dir);
        try {
            d.startAll(brokers);
        } catch (Exception | Error e) {
            d.close();
            throw e;
        }
        return d;
    }

    private void startAll(int brokers) throws Exception {
        Path root = Path.of(System.getProperty("mqtap.root", "."));
        Path connect = root.resolve("connect-config");
        List<NewTopic> topics = new ArrayList<>();
        STREAMS_TOPICS.forEach(t -> topics.add(new NewTopic(t, 1, (short) brokers)));
        topics.add(new NewTopic("mq-queues", 1, (short) brokers).configs(Map.of("cleanup.policy", "compact")));
        topics.add(new NewTopic(CONTROL_TOPIC, 1, (short) brokers));
        admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);

        String warehouse = dir.resolve("warehouse").toUri().toString();
        Map<String, String> sink = MqOpenTable.loadProperties(connect.resolve("config/iceberg-sink.properties"),
                connectEnv(0, warehouse, brokers)::get);
        catalog = (HadoopCatalog) MqOpenTable.catalog(sink);
        MqOpenTable.createIfMissing(catalog, TABLE);
        for (int i = 1; i <= 2; i++) {
            workers.add(DistributedConnectWorker.start(connect.resolve("target/worker-lib"),
                    connect.resolve("config/worker-distributed.properties"), connect.resolve("target/plugins"),
                    connectEnv(Ports.freeLoopbackPort(), warehouse, brokers), dir.resolve("connect-worker-" + i + ".log")));
        }
        for (DistributedConnectWorker w : workers) w.awaitReady(Duration.ofSeconds(120));
        Map<String, String> config = new HashMap<>(DistributedConnectWorker.connectorConfig(connect.resolve("config/iceberg-sink.properties")));
        config.put("topics", eventsTopic);
        config.put("tasks.max", "2"); // one per worker: a kill moves a task and the survivor carries both
        workers.get(0).putConnector(CONNECTOR, config, Duration.ofSeconds(60));
        awaitTasks(2, Duration.ofSeconds(120));

        for (int i = 1; i <= 2; i++) {
            StreamsInstance s = StreamsInstance.of(root.resolve("streams/config/streams.properties"),
                    Map.of("state.dir", dir.resolve("streams-state-" + i).toString(),
                            "mqtap.queries.listen", "127.0.0.1:" + Ports.freeLoopbackPort(),
                            "replication.factor", Integer.toString(brokers),
                            "mqtap.topic.events", eventsTopic),
                    Map.of("KAFKA_BOOTSTRAP", cluster.bootstrapServers(), "SCHEMA_REGISTRY_URL", registry.url()),
                    dir.resolve("streams-" + i), "streams-" + i);
            s.start();
            streams.add(s);
        }
        // the hosts start once the group runs: before that its lag and rate measure the app's start (internal topics,
        // schemas, the first rebalances), not its work
        for (StreamsInstance s : streams) s.awaitRunning(Duration.ofSeconds(300));
        say("both Streams instances RUNNING at %.0f s", now());
        sampler.scheduleWithFixedDelay(() -> streamsLag.sample(now(), phase), 0, 1, TimeUnit.SECONDS);
        sampler.scheduleWithFixedDelay(() -> connectLag.sample(now(), phase), 0, 1, TimeUnit.SECONDS);
    }

    private Map<String, String> connectEnv(int restPort, String warehouse, int brokers) {
        return DistributedConnectWorker.environment(cluster.bootstrapServers(), restPort,
                "http://127.0.0.1:" + registry.port() + "/apis/registry/v2", warehouse, 2_000, 8_000, brokers, 3_000);
    }

    /** Names what the fleet is doing now, for the lag samples. */
    void phase(String name) {
        phase = name;
        say("phase %s at %.0f s", name, now());
    }

    /**
     * SIGKILL of Streams instance 1 and of the Connect worker running task 0; Streams instance 1 starts again on its
     * state dir {@code restartAfterSeconds} later (in the background).
     */
    void killOneOfEach(int restartAfterSeconds) throws Exception {
        phase("kills");
        StreamsInstance s = streams.get(0);
        s.kill();
        String task0 = taskWorker(0);
        DistributedConnectWorker victim = workers.stream().filter(w -> w.workerId().equals(task0)).findFirst().orElse(workers.get(0));
        victim.kill();
        say("killed Streams instance 1 and Connect worker %s (task 0's: %s) by pid", victim.workerId(), task0);
        sampler.schedule(() -> {
            try {
                s.start();
                say("Streams instance 1 started again on its state dir");
            } catch (IOException e) {
                say("Streams instance 1 did not start again: %s", e);
            }
            return null;
        }, restartAfterSeconds, TimeUnit.SECONDS);
    }

    /**
     * Waits (bounded) until the Streams group has consumed the events topic and the table holds every record made,
     * then checks everything against the hosts' own counts; returns the result line.
     */
    String check(List<FleetHost> hosts, Duration timeout) throws Exception {
        phase("drain");
        Set<String> made = new HashSet<>();
        long runs = 0;
        Map<String, Map<Long, Long>> perMinute = new HashMap<>();
        for (FleetHost h : hosts) {
            for (Map.Entry<String, Long> run : h.madePerRun().entrySet()) {
                if (run.getValue() > 0) runs++; // a run that made nothing leaves no trace downstream
                for (long s = 0; s < run.getValue(); s++) made.add(h.machineId() + "/" + run.getKey() + "/" + s);
            }
            perMinute.put(h.machineId(), h.madePerMinute());
        }
        Table table = catalog.loadTable(TABLE);
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Record> rows = rows(table);
        while ((rows.size() < made.size() || streamsLag.lastLag() > 3L * partitions()) && System.nanoTime() < deadline) {
            Thread.sleep(1_000);
            rows = rows(table);
        }
        Thread.sleep(5_000); // two more commits: nothing arrives twice later
        rows = rows(table);
        double drained = now();
        Map<String, Integer> perKey = new HashMap<>();
        for (Record r : rows) perKey.merge(r.getField("machineId") + "/" + r.getField("runId") + "/" + r.getField("sequence"), 1, Integer::sum);
        long tableLost = made.stream().filter(k -> !perKey.containsKey(k)).count();
        long tableExtra = perKey.keySet().stream().filter(k -> !made.contains(k)).count();
        long tableDup = rows.size() - perKey.size();

        // per host and minute: the count published when the minute closed, plus the corrections for calls that came after
        // it closed (mq-open-counts-late), against what the host made in that minute
        Map<String, MqOpenCounts> windows = new HashMap<>();
        int[] reemitted = {0};
        readAll("mq-open-counts", MqOpenCounts.class, (k, c) -> {
            if (windows.put(c.getMachineId() + "@" + c.getWindowStart().toEpochMilli(), c) != null) reemitted[0]++;
        });
        Map<String, Long> late = new HashMap<>();
        readAll("mq-open-counts-late", MqOpenCounts.class, (k, c) -> late.merge(c.getMachineId() + "@" + c.getWindowStart().toEpochMilli(),
                c.getTotal(), Long::sum));
        long wrong = 0, lateRecords = late.values().stream().mapToLong(Long::longValue).sum();
        Set<String> published = new HashSet<>(windows.keySet());
        published.addAll(late.keySet());
        for (String hostMinute : published) {
            int at = hostMinute.indexOf('@');
            long minute = Long.parseLong(hostMinute.substring(at + 1));
            long truth = perMinute.getOrDefault(hostMinute.substring(0, at), Map.of()).getOrDefault(minute, 0L);
            MqOpenCounts c = windows.get(hostMinute);
            long counted = (c == null ? 0 : c.getTotal()) + late.getOrDefault(hostMinute, 0L);
            if (counted != truth) {
                wrong++;
                if (wrong <= 5) say("counts differ: %s: counted %d + %d late, made %d", hostMinute, c == null ? 0 : c.getTotal(),
                        late.getOrDefault(hostMinute, 0L), truth);
            }
        }
        // a host-minute that must have closed (its end + the grace well behind the last record made) but is in neither topic
        long lastMinuteEnd = perMinute.values().stream().flatMap(m -> m.keySet().stream()).mapToLong(Long::longValue).max().orElse(0);
        long missing = 0, closable = 0;
        for (var host : perMinute.entrySet()) {
            for (long minute : host.getValue().keySet()) {
                if (minute + 60_000 + grace.toMillis() > lastMinuteEnd) continue; // last minute made starts at lastMinuteEnd: ~1 min of stream time past it
                closable++;
                if (!published.contains(host.getKey() + "@" + minute)) missing++;
            }
        }

        long[] gaps = {0}, reconciliations = {0}, duplicates = {0};
        readAll("mq-open-completeness", MqOpenCompleteness.class, (k, c) -> {
            if (c.getKind() == CompletenessKind.GAP) gaps[0]++;
            else reconciliations[0]++;
            duplicates[0] = Math.max(duplicates[0], c.getDuplicates());
        });
        long runProgress = storeEntries(APPLICATION_ID + "-run-progress-changelog");

        double steadyRate = rate(streamsLag, "steady");
        String line = String.format("downstream hosts=%d events=%d streams-instances=2 streams-killed=1 streams-restarted=%d "
                        + "connect-workers=2 connect-killed=1 table-rows=%d table-lost=%d table-duplicates=%d table-extra=%d "
                        + "count-windows=%d count-windows-wrong=%d count-windows-missing=%d of %d count-windows-reemitted=%d "
                        + "count-windows-late=%d late-records=%d grace-s=%d "
                        + "completeness-gaps=%d completeness-duplicates=%d run-progress-entries=%d runs-with-records=%d "
                        + "streams-records-per-sec-per-thread-steady=%.1f streams-records-per-sec-per-thread-peak=%.1f "
                        + "streams-max-lag-kills=%d streams-max-lag-storm=%d streams-lag-end=%d connect-max-lag-kills=%d "
                        + "connect-max-lag-storm=%d connect-lag-end=%d drained-at-s=%.0f",
                hosts.size(), made.size(), streams.get(0).starts() - 1, rows.size(), tableLost, tableDup, tableExtra,
                windows.size(), wrong, missing, closable, reemitted[0], late.size(), lateRecords, grace.toSeconds(), gaps[0], duplicates[0], runProgress, runs,
                steadyRate / 2, streamsLag.peakRate(5) / 2, streamsLag.maxLag("kills"), streamsLag.maxLag("storm"),
                streamsLag.lastLag(), connectLag.maxLag("kills"), connectLag.maxLag("storm"), connectLag.lastLag(), drained);
        printLag();
        return line;
    }

    /** The Streams group's mean consumption rate over a phase, records/s (both instances together). */
    private static double rate(GroupLag lag, String phase) {
        List<GroupLag.Sample> s = lag.samples().stream().filter(x -> x.phase().equals(phase)).toList();
        if (s.size() < 2) return 0;
        GroupLag.Sample a = s.get(0), b = s.get(s.size() - 1);
        return (b.consumed() - a.consumed()) / Math.max(1e-9, b.at() - a.at());
    }

    private void printLag() {
        say("lag samples (s, phase, streams lag, connect lag), every 5th:");
        List<GroupLag.Sample> st = streamsLag.samples(), co = connectLag.samples();
        for (int i = 0; i < st.size(); i += 5) {
            GroupLag.Sample s = st.get(i);
            long c = co.stream().filter(x -> Math.abs(x.at() - s.at()) < 1.0).mapToLong(GroupLag.Sample::lag).findFirst().orElse(-1);
            say("  %5.0f %-7s %7d %7d", s.at(), s.phase(), s.lag(), c);
        }
    }

    private int partitions() throws Exception {
        return admin.describeTopics(List.of(eventsTopic)).allTopicNames().get(10, TimeUnit.SECONDS).get(eventsTopic).partitions().size();
    }

    /** Keys whose last value in a compacted changelog is not a tombstone: the entries of the store it backs. */
    private long storeEntries(String changelog) {
        Map<String, Boolean> live = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            drain(c, changelog, r -> live.put(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), r.value() != null));
        }
        return live.values().stream().filter(b -> b).count();
    }

    private <T> void readAll(String topic, Class<T> type, BiConsumer<byte[], T> each) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(); AvroDeserializer<Object> values = new AvroDeserializer<>()) {
            values.configure(Map.of(RegistryConfig.URL, registry.url(), RegistryConfig.SPECIFIC_READER, true), false);
            drain(c, topic, r -> {
                if (r.value() != null) each.accept(r.key(), type.cast(values.deserialize(topic, r.value())));
            });
        }
    }

    /** Every committed record of a topic, from its start to its end now. */
    private static void drain(KafkaConsumer<byte[], byte[]> c, String topic, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        c.assign(parts);
        c.seekToBeginning(parts);
        Map<TopicPartition, Long> end = c.endOffsets(parts);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (parts.stream().anyMatch(p -> c.position(p) < end.get(p)) && System.nanoTime() < deadline) {
            c.poll(Duration.ofMillis(500)).forEach(each);
        }
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<Record> rows(Table table) throws IOException {
        table.refresh();
        if (table.currentSnapshot() == null) return List.of();
        List<Record> rows = new ArrayList<>();
        try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
            it.forEach(r -> rows.add(r.copy()));
        }
        return rows;
    }

    /** The worker id running the sink's task {@code id}, as a live worker sees it (null: none RUNNING). */
    private String taskWorker(int id) throws Exception {
        for (DistributedConnectWorker w : workers) {
            if (!w.isAlive()) continue;
            JsonNode status = w.status(CONNECTOR);
            if (status == null) continue;
            JsonNode task = status.path("tasks").path(id);
            return "RUNNING".equals(task.path("state").asText()) ? task.path("worker_id").asText() : null;
        }
        return null;
    }

    private void awaitTasks(int n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = workers.get(0).status(CONNECTOR);
            if (status != null) {
                long running = 0;
                for (JsonNode t : status.path("tasks")) {
                    if ("FAILED".equals(t.path("state").asText())) throw new IllegalStateException("sink task failed: " + t);
                    if ("RUNNING".equals(t.path("state").asText())) running++;
                }
                if (running == n) return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the sink's " + n + " tasks not RUNNING within " + timeout + "; worker log:\n"
                + workers.get(0).logTail(40));
    }

    private double now() {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void say(String format, Object... args) {
        System.err.printf("fleet downstream: " + format + "%n", args);
    }

    /** Stops the sampler, both Streams instances (SIGTERM) and the workers (SIGTERM); keeps their logs in target/. */
    @Override
    public void close() throws Exception {
        sampler.shutdownNow();
        for (StreamsInstance s : streams) s.close();
        for (DistributedConnectWorker w : workers) w.close();
        Path keep = Path.of(System.getProperty("mqtap.root", "."), "bench", "target", "fleet-downstream-logs");
        Files.createDirectories(keep);
        for (StreamsInstance s : streams) copy(s.log(), keep);
        for (DistributedConnectWorker w : workers) copy(w.logFile(), keep);
        if (catalog != null) catalog.close();
        admin.close();
    }

    private static void copy(Path log, Path dir) throws IOException {
        if (Files.exists(log)) Files.copy(log, dir.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
}
