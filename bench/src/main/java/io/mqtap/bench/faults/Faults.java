package io.mqtap.bench.faults;

import com.fasterxml.jackson.databind.JsonNode;
import io.mqtap.bench.SchemasFirst;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaBrokerProcess;
import io.mqtap.testkit.kafka.KafkaCluster;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.process.ChildProcesses;
import io.mqtap.testkit.process.ProducerProcess;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * What a fault scenario works with: the 3-node KRaft cluster, the registry, and helpers to start producers (separate
 * JVMs with the unit's heap) and tagged generators, each ended by its PID.
 */
public final class Faults {
    static final String EVENTS = "mq-open-events";
    static final String STATS = "mq-open-stats";

    final KafkaCluster cluster;
    final SchemaRegistryServer registry;
    final Path work;
    final String producerClasspath;
    /** calls/s of the scenarios "under load", and of the producer SIGKILL/SIGTERM ones */
    final int rate;
    final int highRate;
    private final String prefix;
    private final List<Producer> producers = new ArrayList<>();

    Faults(KafkaCluster cluster, SchemaRegistryServer registry, Path work, String producerClasspath, int rate, int highRate,
           String prefix) {
        this.cluster = cluster;
        this.registry = registry;
        this.work = work;
        this.producerClasspath = producerClasspath;
        this.rate = rate;
        this.highRate = highRate;
        this.prefix = prefix;
    }

    /** The queue name prefix of a scenario's calls (the producers' namePrefix filter). */
    String names(String tag) {
        return prefix + tag;
    }

    // ---- topics ----

    /**
     * The events and stats topics, made before any producer (3 replicas, min.insync.replicas 2, mqtap's settings)
     * with 64 MiB segments, so {@link #trim} can give the disk back after each scenario: the long outage alone is
     * about two million records, three copies each.
     */
    void createTopics() throws Exception {
        try (Admin admin = cluster.admin()) {
            for (String t : List.of(EVENTS, STATS)) {
                NewTopic n = new NewTopic(t, 1, (short) 3).configs(Map.of("min.insync.replicas", "2",
                        "segment.bytes", Integer.toString(64 << 20)));
                try {
                    admin.createTopics(List.of(n)).all().get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) throw e;
                }
            }
        }
    }

    /** Deletes the records a finished scenario left (after its reconciliation): their segments go. */
    void trim() {
        try (Admin admin = cluster.admin()) {
            Map<TopicPartition, RecordsToDelete> upTo = new LinkedHashMap<>();
            for (String t : List.of(EVENTS, STATS)) {
                TopicPartition tp = new TopicPartition(t, 0);
                long end = admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest())).all()
                        .get(60, TimeUnit.SECONDS).get(tp).offset();
                upTo.put(tp, RecordsToDelete.beforeOffset(end));
            }
            admin.deleteRecords(upTo).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            FaultsBench.say("could not trim the topics: %s", e);
        }
    }

    // ---- producers ----

    /** One producer JVM of a scenario. */
    final class Producer {
        final String label;
        final ProducerProcess process;

        Producer(String label, ProducerProcess process) {
            this.label = label;
            this.process = process;
        }

        JsonNode metrics() throws IOException, InterruptedException {
            return process.metrics();
        }

        String runId() {
            return process.runId();
        }

        /** SIGTERM by its PID; SIGKILL when it has not stopped within 120 s. */
        void stop() throws InterruptedException {
            process.stop(Duration.ofSeconds(120));
        }

        /** SIGKILL by its PID, no stop of any kind. */
        void kill() throws InterruptedException {
            process.kill();
        }

        long gauge(String name) throws IOException, InterruptedException {
            return metrics().path("gauges").path(name).path("value").asLong();
        }

        /** Waits until everything captured is published or counted, nothing is in flight and the spool is empty. */
        void awaitQuiet(Duration max) throws Exception {
            long deadline = System.nanoTime() + max.toNanos();
            while (System.nanoTime() < deadline) {
                JsonNode m = metrics();
                long captured = m.path("meters").path("mqtap.captured").path("count").asLong();
                long done = m.path("meters").path("mqtap.published").path("count").asLong()
                        + m.path("counters").path("mqtap.failed").path("count").asLong()
                        + m.path("counters").path("mqtap.dropped").path("count").asLong()
                        + m.path("gauges").path("mqtap.spool.dropped").path("value").asLong();
                if (done >= captured && m.path("gauges").path("mqtap.inflight").path("value").asLong() == 0
                        && m.path("gauges").path("mqtap.spool.records").path("value").asLong() == 0) return;
                Thread.sleep(500);
            }
            FaultsBench.say("%s did not settle within %s", label, max);
        }
    }

    /**
     * Starts a producer for scenario {@code tag} and waits until it captures. Its spool is the scenario's, so runs of one
     * scenario share it as restarts of one service do. The schemas are registered first (the fleet's CI/CD step) unless
     * the registry is down. Per-uid fairness is off but in flood-fairness: other engineers' root processes on this
     * machine share uid 0's budget, and the 20,000 calls/s scenarios are above it by design. overrides: per section.
     */
    Producer producer(String tag, String label, Map<String, Object> overrides) throws Exception {
        int admin = Ports.freeLoopbackPort();
        Map<String, Object> c = new LinkedHashMap<>();
        // the durability floor's defaults (replication 3, min.insync.replicas 2) hold: the cluster has three nodes
        c.put("kafka", new LinkedHashMap<>(Map.of("bootstrapServers", cluster.bootstrapServers(), "topic", EVENTS,
                "statsTopic", STATS, "partitions", 1)));
        c.put("spool", new LinkedHashMap<>(Map.of("dir", work.resolve("spool-" + tag).toString())));
        c.put("schemaRegistry", new LinkedHashMap<>(Map.of("url", registry.url())));
        // opens only: the queue life's hooks see every process's sends on the host (host-wide misses are upper bounds)
        c.put("capture", new LinkedHashMap<>(Map.of("filters", Map.of("namePrefix", names(tag)), "queueLife", false,
                "fairness", Map.of("enabled", false))));
        c.put("pipeline", new LinkedHashMap<>(Map.of("statsInterval", "1s", "shutdownTimeout", "60s")));
        c.put("server", Map.of("applicationConnectors", List.of(Map.of("type", "http", "bindHost", "127.0.0.1", "port", 0)),
                "adminConnectors", List.of(Map.of("type", "http", "bindHost", "127.0.0.1", "port", admin))));
        c.put("logging", Map.of("level", "INFO", "loggers", Map.of("org.apache.kafka", "WARN")));
        overrides.forEach((k, v) -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> section = (Map<String, Object>) c.get(k);
            @SuppressWarnings("unchecked")
            Map<String, Object> values = (Map<String, Object>) v;
            if (section == null) c.put(k, v);
            else section.putAll(values);
        });
        if (registry.isRunning()) SchemasFirst.register(c);
        ProducerProcess p = ProducerProcess.builder().classpath(producerClasspath).adminPort(admin)
                .log(work.resolve(label + ".log")).server(work.resolve(label + ".yml"), c).start();
        Producer pr = new Producer(label, p);
        producers.add(pr);
        p.awaitOutput("Capturing mq_open", Duration.ofSeconds(180));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                pr.metrics();
                FaultsBench.say("producer %s: pid %d, run %s", label, p.pid(), pr.runId());
                return pr;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) throw new IllegalStateException(label + " answers no /metrics; see " + p.log(), e);
                Thread.sleep(200); // admin port not answering yet
            }
        }
    }

    Producer producer(String tag, String label) throws Exception {
        return producer(tag, label, Map.of());
    }

    /** The schemas again, in a registry that forgot them when it restarted (in-memory storage), from a producer's config. */
    void registerSchemas(String tag) throws IOException {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kafka", Map.of("bootstrapServers", cluster.bootstrapServers(), "topic", EVENTS, "statsTopic", STATS));
        c.put("schemaRegistry", Map.of("url", registry.url()));
        c.put("spool", Map.of("dir", work.resolve("spool-" + tag).toString()));
        SchemasFirst.register(c);
    }

    /** Ends what a scenario left: its producers and generators, by PID. */
    void cleanUp() {
        for (Producer p : producers) {
            if (p.process.alive()) {
                try {
                    p.process.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        producers.clear();
        ChildProcesses.stopAll();
    }

    // ---- the generator ----

    /** A running mq_open_gen --unique: its call i creates (then closes and removes) {@code <name>-<i>}. */
    static final class Generator {
        final String name;
        final Process process;

        Generator(String name, Process process) {
            this.name = name;
            this.process = process;
        }

        /** Its own count of the calls it made, when it has finished. */
        MqOpenGenerator.Result await() throws IOException, InterruptedException {
            MqOpenGenerator.Result r = MqOpenGenerator.await(process);
            FaultsBench.say("generator %s: %d calls (%d ok) at %.0f/s", name, r.calls(), r.ok(), r.callsPerSec());
            return r;
        }
    }

    /** A generator of scenario {@code tag} (names {@code names(tag) + part + "-<i>"}) at perSec calls/s (0: flat out) for millis. */
    Generator generator(String tag, String part, long perSec, long millis) throws IOException {
        return start(List.of(), tag, part, perSec, millis);
    }

    /** The same, as {@code uid} (setpriv takes the number: no such user needed). */
    Generator as(long uid, String tag, String part, long perSec, long millis) throws IOException {
        return start(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"), tag, part, perSec, millis);
    }

    private Generator start(List<String> launcher, String tag, String part, long perSec, long millis) throws IOException {
        String name = names(tag) + part;
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of(generatorCopy().toString(), "--unique", "--name", name, "--duration-ms", Long.toString(millis)));
        if (perSec > 0) cmd.addAll(List.of("--rate", Long.toString(perSec)));
        return new Generator(name, ChildProcesses.track(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start()));
    }

    /**
     * mq_open_gen copied as mqtap-faultgen, which any uid can run: tests elsewhere on this machine count mq_open_gen's
     * calls by its comm, and must not count these.
     */
    private Path generatorCopy() throws IOException {
        Path dir = work.resolve("gen");
        Path copy = dir.resolve("mqtap-faultgen");
        if (!Files.exists(copy)) {
            Files.createDirectories(dir);
            Files.copy(MqGen.binary(MqGen.GENERATOR), copy);
            for (Path p : List.of(work, dir, copy)) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return copy;
    }

    /** The calls of finished generators, by name, as an {@link FaultScenario.Outcome} wants them. */
    static Map<String, Long> calls(Generator... gens) throws IOException, InterruptedException {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Generator g : gens) m.put(g.name, g.await().calls());
        return m;
    }

    // ---- breaking things ----

    static void sleep(long seconds) throws InterruptedException {
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    }

    /** Every broker SIGKILLed by its PID; returns when, for the outage's measured length. */
    long allBrokersDown() throws InterruptedException {
        cluster.killAll();
        FaultsBench.say("all %d brokers SIGKILLed", cluster.nodes().size());
        return System.nanoTime();
    }

    /** Every broker started again on its data; the seconds since {@code downAt}, when the last one answers. */
    long allBrokersBack(long downAt) throws IOException, InterruptedException {
        cluster.restartAll();
        long s = Math.round((System.nanoTime() - downAt) / 1e9);
        FaultsBench.say("all brokers back after %d s", s);
        return s;
    }

    List<KafkaBrokerProcess> brokers() {
        return cluster.nodes();
    }

    /** A tmpfs of {@code mib} MiB mounted on a new directory (the spool of disk-full), unmounted by {@link #unmount}. */
    Path tmpfs(String tag, int mib) throws IOException, InterruptedException {
        Path dir = work.resolve("tmpfs-" + tag);
        Files.createDirectories(dir);
        run("mount", "-t", "tmpfs", "-o", "size=" + mib + "m,mode=0700", "tmpfs", dir.toString());
        return dir;
    }

    void unmount(Path dir) throws IOException, InterruptedException {
        run("umount", dir.toString());
    }

    static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IOException(String.join(" ", cmd) + " failed: " + out.trim());
    }
}
