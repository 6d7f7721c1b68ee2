package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dropwizard.testing.ResourceHelpers;
import io.mqtap.avro.MqOpen;
import io.mqtap.producer.pipeline.CapturePipeline;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.process.ProducerProcess;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** What breaks, and what the producer does about it: nothing captured is lost, and nothing duplicated. */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@Tag("jvm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProducerFaultsTest {
    private KafkaBroker broker;
    private SchemaRegistryServer registry;

    @BeforeAll
    void start() {
        Kernel.assumeBpf();
        broker = KafkaBroker.start();
        registry = SchemaRegistryServer.shared();
    }

    @AfterAll
    void stop() {
        if (broker != null) broker.close();
    }


    /**
     * Every record of the run, exactly once, numbered 0..n-1 with no gap, across every record topic: with capture.queueLife
     * on (the default) {@code captured} also counts the queue-life records of other processes on the host (an unlink, a
     * send), which share the run's sequence and go to their own topics. Returns the run's mq_open records.
     */
    private List<MqOpen> assertCompleteRun(String runId, long captured) {
        List<ConsumerRecord<String, SpecificRecord>> rs = Records.readAll(broker.bootstrapServers(), registry.url(),
                got -> Records.sequences(got, runId).size() >= captured, Duration.ofSeconds(90));
        List<Long> seqs = Records.sequences(rs, runId);
        Set<Long> seen = new HashSet<>();
        for (long q : seqs) assertThat(seen.add(q)).as("sequence %d duplicated", q).isTrue();
        assertThat(seqs).as("every sequence of the run, no gap").isEqualTo(LongStream.range(0, captured).boxed().toList());
        // each topic (one partition) holds its records in the order they were numbered
        Map<String, List<Long>> byTopic = new TreeMap<>();
        for (ConsumerRecord<String, SpecificRecord> r : rs)
            if (runId.equals(((SpecificRecordBase) r.value()).get("runId")))
                byTopic.computeIfAbsent(r.topic(), t -> new ArrayList<>()).add((Long) ((SpecificRecordBase) r.value()).get("sequence"));
        byTopic.forEach((topic, q) -> assertThat(q).as("in order in %s", topic).isSorted());
        return Records.ofRun(rs, runId).stream().filter(MqOpen.class::isInstance).map(MqOpen.class::cast).toList();
    }

    @Test
    void brokerAwayForSecondsLosesAndDuplicatesNothing() throws Exception {
        // only this test's calls: the kernel counts losses host-wide, and other processes here may call mq_open meanwhile;
        // opens only: the queue-life hooks see every process's sends and receives, whose skipped runs would count as lost here
        try (ProducerApp app = ProducerApp.of(broker.bootstrapServers(), registry.url()).set("capture.filters.namePrefix", "outage-")
                .set("capture.queueLife", "false").start()) {
            CapturePipeline p = app.pipeline();
            MqOpenHelper.run("name=outage-warmup");
            Process gen = MqOpenGenerator.start(new MqOpenGenerator.Options(0, 2_000, 16_000, "outage-" + UUID.randomUUID(), false));
            Thread.sleep(1_000);
            broker.stop();
            // longer than the producer's old 10 s metadata wait, which counted records as failed
            Thread.sleep(12_000);
            broker.restart();
            MqOpenGenerator.Result made = MqOpenGenerator.await(gen);
            assertThat(made.calls()).isGreaterThan(20_000);
            awaitQuiet(p);
            assertThat(p.counters().failed()).isZero();
            assertThat(p.counters().lostKernel()).isZero();
            List<MqOpen> run = assertCompleteRun(p.host().runId(), p.counters().captured());
            assertThat(run.stream().filter(r -> r.getPid() == made.pid()).count()).isEqualTo(made.calls());
        }
    }

    @Test
    void registryDownAtStartTurnsTheSchemaCheckRedThenRecovers() throws Exception {
        SchemaRegistryServer late = SchemaRegistryServer.notStarted();
        try (ProducerApp app = ProducerApp.of(broker.bootstrapServers(), late.url())
                .editConfig(c -> c.replace("  attachMode: auto\n", "  attachMode: auto\n  filters:\n    includeComms: [mq_open_helper]\n"))
                .start()) {
            MqOpenHelper.HelperRun calls = MqOpenHelper.run("name=before-registry repeat=20 quiet");
            // the first registration attempt (with the client's own retries) takes a few seconds to fail
            var schema = await("the schema check's first failed attempt").atMost(Duration.ofSeconds(30))
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200))
                    .until(() -> app.health("schema"),
                            s -> s.getMessage().contains("127.0.0.1:" + late.port()));
            assertThat(schema.isHealthy()).isFalse();
            assertThat(schema.getMessage()).startsWith("schemas not registered").contains("127.0.0.1:" + late.port());
            late.restart();
            app.registerSchemas(); // the empty registry gets them as a fleet's CI/CD gives them (autoRegister is off)
            CapturePipeline p = app.pipeline();
            await("20 published").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> p.counters().published() >= 20);
            assertThat(app.health("schema").isHealthy()).isTrue();
            List<ConsumerRecord<String, MqOpen>> rs = Records.read(broker.bootstrapServers(), late.url(), "mq-open-events",
                    got -> Records.events(got, p.host().runId()).stream().filter(r -> r.getPid() == calls.pid()).count() >= 20,
                    Duration.ofSeconds(60));
            assertThat(Records.events(rs, p.host().runId()).stream().filter(r -> r.getPid() == calls.pid()).count())
                    .as("helper pid %d; run's records: %s", calls.pid(), Records.events(rs, p.host().runId()).stream()
                            .map(r -> r.getPid() + ":" + r.getComm() + ":" + r.getName()).toList())
                    .isEqualTo(20);
        } finally {
            late.close();
        }
    }

    @Test
    void sigtermUnderLoadPublishesEverythingCaptured(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.yml");
        writeConfig(config);
        try (ProducerProcess producer = ProducerProcess.builder().args("server", config.toString()).start()) {
            producer.awaitOutput("Started oejs.Server", Duration.ofSeconds(120));
            Process gen = MqOpenGenerator.start(new MqOpenGenerator.Options(0, 20_000, 4_000, "term-" + UUID.randomUUID(), false));
            Thread.sleep(1_500);
            producer.terminate();
            assertThat(producer.waitFor(Duration.ofSeconds(60))).as(producer.output()).isIn(0, 143);
            MqOpenGenerator.Result made = MqOpenGenerator.await(gen);
            Matcher run = Pattern.compile("as run ([0-9a-f-]{36})").matcher(producer.output());
            Matcher stopped = Pattern.compile("captured (\\d+), published (\\d+), failed (\\d+), dropped (\\d+), lost in kernel (\\d+)")
                    .matcher(producer.output());
            assertThat(run.find() && stopped.find()).as(producer.output()).isTrue();
            long captured = Long.parseLong(stopped.group(1));
            assertThat(captured).isGreaterThan(10_000);
            assertThat(Long.parseLong(stopped.group(2))).as("published").isEqualTo(captured);
            assertThat(Long.parseLong(stopped.group(3))).as("failed").isZero();
            assertThat(Long.parseLong(stopped.group(4))).as("dropped").isZero();
            List<MqOpen> opens = assertCompleteRun(run.group(1), captured);
            // against the generator's own count: its calls were recorded at most once each (the rest came after the stop)
            assertThat(opens.stream().filter(r -> r.getPid() == made.pid()).count()).as("the generator's records")
                    .isPositive().isLessThanOrEqualTo(made.calls());
        }
    }

    @Test
    void whatASigkilledProducerSpooledDuringABrokerOutageTheNextRunSends(@TempDir Path dir) throws Exception {
        String prefix = "spooled-" + UUID.randomUUID().toString().substring(0, 8);
        int admin = Ports.freeLoopbackPort();
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                kafka: {bootstrapServers: "%s", partitions: 1, minReplication: 1, minInsyncReplicas: 1}
                schemaRegistry: {url: "%s"}
                capture: {filters: {namePrefix: "%s"}}
                spool: {dir: "%s"}
                pipeline: {statsInterval: 1s, shutdownTimeout: 10s}
                server:
                  applicationConnectors: [{type: http, port: 0}]
                  adminConnectors: [{type: http, port: %d}]
                logging: {level: WARN, loggers: {io.mqtap: INFO}}
                """.formatted(broker.bootstrapServers(), registry.url(), prefix, dir.resolve("spool"), admin));
        io.mqtap.producer.cli.RegisterSchemasCommand.register(config); // as a fleet's CI/CD does: the producer only looks them up
        MqOpenHelper.HelperRun calls;
        String firstRun;
        broker.stop();
        try {
            // attach first: with Kafka away the producer still starts and captures, into the spool
            try (ProducerProcess p = ProducerProcess.builder().adminPort(admin).args("server", config.toString()).start()) {
                p.awaitOutput("Capturing mq_open", Duration.ofSeconds(120));
                calls = MqOpenHelper.run("name=" + prefix + "-q repeat=300 quiet");
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (spooled(p) < 300) {
                    assertThat(System.nanoTime()).as("300 records spooled; output:%n%s", p.tail(30)).isLessThan(deadline);
                    Thread.sleep(100);
                }
                assertThat(p.metrics().path("meters").path("mqtap.published").path("count").asLong()).isZero();
                firstRun = p.runId();
                p.kill(); // SIGKILL: no stop of any kind
            }
        } finally {
            broker.restart();
        }
        try (ProducerProcess p = ProducerProcess.builder().adminPort(admin).args("server", config.toString()).start()) {
            p.awaitOutput("Capturing mq_open", Duration.ofSeconds(120));
            List<ConsumerRecord<String, MqOpen>> rs = Records.read(broker.bootstrapServers(), registry.url(), "mq-open-events",
                    got -> Records.events(got, firstRun).stream().map(MqOpen::getSequence).distinct().count() >= 300, Duration.ofSeconds(90));
            List<MqOpen> first = Records.events(rs, firstRun);
            assertThat(first).as(p.tail(30)).allMatch(r -> r.getPid() == calls.pid());
            assertThat(first.stream().map(MqOpen::getSequence).distinct().sorted().toList())
                    .as("every record of the killed run, by its dedup key").isEqualTo(java.util.stream.LongStream.range(0, 300).boxed().toList());
            // the new run's stats say how the killed one ended: not cleanly, and where its records stop
            String secondRun = p.runId();
            List<ConsumerRecord<String, io.mqtap.avro.MqOpenStats>> st = Records.read(broker.bootstrapServers(), registry.url(),
                    "mq-open-stats", got -> !Records.stats(got, secondRun).isEmpty(), Duration.ofSeconds(60));
            io.mqtap.avro.PreviousRun prev = Records.stats(st, secondRun).get(0).getPreviousRun();
            assertThat(prev).as(p.tail(30)).isNotNull();
            assertThat(prev.getRunId()).isEqualTo(firstRun);
            assertThat(prev.getClean()).isFalse();
            assertThat(prev.getLastSequence()).isEqualTo(299);
            assertThat(prev.getSinceLastEventMs()).isNotNull().isPositive();
            assertThat(prev.getBlindWindowMs()).as("not known after a crash").isNull();
            p.terminate();
            assertThat(p.waitFor(Duration.ofSeconds(60))).as(p.tail(30)).isIn(0, 143);
        }
    }

    /**
     * capture.pinPath: the programs stay attached while the service restarts, and the next run publishes what they
     * caught; every call of the three phases (before the stop, while no mqtap ran, after the start) is in Kafka once.
     */
    @Test
    void aRestartWithAPinnedProbeMissesNoCallMadeMeanwhile(@TempDir Path dir) throws Exception {
        pinnedRestart(dir, false);
    }

    /** The same across a SIGKILL: the ring is committed only up to what the spool holds, and resumed just past it. */
    @Test
    void aSigkillWithAPinnedProbeLosesAndDuplicatesNothing(@TempDir Path dir) throws Exception {
        pinnedRestart(dir, true);
    }

    private void pinnedRestart(Path dir, boolean kill) throws Exception {
        String prefix = "pinned-" + UUID.randomUUID().toString().substring(0, 8);
        int admin = Ports.freeLoopbackPort();
        Path pins = Path.of("/sys/fs/bpf/mqtap-test-" + prefix);
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                kafka: {bootstrapServers: "%s", partitions: 1, minReplication: 1, minInsyncReplicas: 1}
                schemaRegistry: {url: "%s"}
                capture: {transport: ring-buffer, pinPath: "%s", filters: {namePrefix: "%s"}}
                spool: {dir: "%s"}
                pipeline: {statsInterval: 1s, shutdownTimeout: 10s}
                server:
                  applicationConnectors: [{type: http, port: 0}]
                  adminConnectors: [{type: http, bindHost: 127.0.0.1, port: %d}]
                logging: {level: WARN, loggers: {io.mqtap: INFO, org.eclipse.jetty.server.Server: INFO}}
                """.formatted(broker.bootstrapServers(), registry.url(), pins, prefix, dir.resolve("spool"), admin));
        io.mqtap.producer.cli.RegisterSchemasCommand.register(config);
        MqOpenHelper.HelperRun before, gap, after;
        try {
            String firstRun;
            try (ProducerProcess p = ProducerProcess.builder().adminPort(admin).args("server", config.toString()).start()) {
                p.awaitOutput("Started oejs.Server", Duration.ofSeconds(120)); // a SIGTERM before it is not a stop
                assertThat(p.output()).contains("capture.pinPath: nothing was pinned");
                firstRun = p.runId();
                before = MqOpenHelper.run("name=" + prefix + "-before repeat=300 quiet");
                if (kill) {
                    // some of them spooled and published, the rest anywhere between the ring and the spool
                    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (published(p) < 100) {
                        assertThat(System.nanoTime()).as(p.tail(30)).isLessThan(deadline);
                        Thread.sleep(5);
                    }
                    p.kill();
                } else {
                    p.terminate(); // whatever it had not drained by now is the next run's
                    assertThat(p.waitFor(Duration.ofSeconds(60))).as(p.tail(30)).isIn(0, 143);
                }
            }
            gap = MqOpenHelper.run("name=" + prefix + "-gap repeat=500 quiet"); // no mqtap runs
            try (ProducerProcess p = ProducerProcess.builder().adminPort(admin).args("server", config.toString()).start()) {
                p.awaitOutput("Capturing mq_open", Duration.ofSeconds(120));
                assertThat(p.output()).contains("capture.pinPath: took over the pinned probe");
                String secondRun = p.runId();
                after = MqOpenHelper.run("name=" + prefix + "-after repeat=200 quiet");
                Set<Long> pids = Set.of(before.pid(), gap.pid(), after.pid());
                List<ConsumerRecord<String, MqOpen>> rs = Records.read(broker.bootstrapServers(), registry.url(), "mq-open-events",
                        got -> got.stream().filter(r -> pids.contains(r.value().getPid()))
                                .map(r -> r.value().getRunId() + "/" + r.value().getSequence()).distinct().count() >= 1000,
                        Duration.ofSeconds(90));
                // by dedup key: each call once; a SIGKILL may leave same-key copies (records Kafka took whose
                // acknowledgement the spool had not yet recorded), which consumers show once, never a second key
                Map<Long, Long> byPid = new TreeMap<>();
                Set<String> keys = new HashSet<>();
                for (ConsumerRecord<String, MqOpen> r : rs) {
                    MqOpen e = r.value();
                    if (!pids.contains(e.getPid())) continue;
                    boolean first = keys.add(e.getRunId() + "/" + e.getSequence());
                    if (!kill) assertThat(first).as("dedup key %s/%d twice", e.getRunId(), e.getSequence()).isTrue();
                    assertThat(e.getRunId()).isIn(firstRun, secondRun);
                    if (first) byPid.merge(e.getPid(), 1L, Long::sum);
                }
                assertThat(byPid).as(p.tail(30)).containsEntry(before.pid(), 300L).containsEntry(gap.pid(), 500L)
                        .containsEntry(after.pid(), 200L);
                assertThat(Records.events(rs, secondRun).stream().filter(e -> e.getPid() == gap.pid()).count())
                        .as("the calls made while no mqtap ran, published by the run that took over").isEqualTo(500);
                List<ConsumerRecord<String, io.mqtap.avro.MqOpenStats>> st = Records.read(broker.bootstrapServers(), registry.url(),
                        "mq-open-stats", got -> !Records.stats(got, secondRun).isEmpty(), Duration.ofSeconds(60));
                io.mqtap.avro.PreviousRun prev = Records.stats(st, secondRun).get(0).getPreviousRun();
                assertThat(prev.getRunId()).isEqualTo(firstRun);
                assertThat(prev.getGapCaptured()).isTrue();
                assertThat(prev.getBlindWindowMs()).isZero();
                p.terminate();
                assertThat(p.waitFor(Duration.ofSeconds(60))).as(p.tail(30)).isIn(0, 143);
            }
        } finally {
            unpin(pins); // a stop for good: the pinned programs detach
        }
    }

    /** Records the producer has had acknowledged by Kafka, from /metrics; -1 while its admin port does not answer. */
    private static long published(ProducerProcess p) throws InterruptedException {
        try {
            return p.metrics().path("meters").path("mqtap.published").path("count").asLong();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static void unpin(Path pins) {
        java.io.File[] runs = pins.toFile().listFiles();
        if (runs != null)
            for (java.io.File run : runs) {
                java.io.File[] files = run.listFiles();
                if (files != null) for (java.io.File f : files) f.delete();
                run.delete();
            }
        pins.toFile().delete();
    }

    /** Records in the producer's spool, from /metrics; -1 while its admin port does not answer yet (a loaded machine). */
    private static long spooled(ProducerProcess p) throws InterruptedException {
        try {
            return p.metrics().path("gauges").path("mqtap.spool.records").path("value").asLong();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    @Test
    void withoutBpfCapabilitiesTheStartFailsNamingThem(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.yml");
        writeConfig(config);
        // root without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN: what a container or a hardened unit gives
        List<String> drop = List.of("setpriv", "--bounding-set", "-bpf,-perfmon,-sys_admin", "--");
        try (ProducerProcess producer = ProducerProcess.builder().launcher(drop).args("server", config.toString()).start()) {
            assertThat(producer.waitFor(Duration.ofSeconds(90))).isNotZero();
            assertThat(producer.output()).contains("CAP_BPF").contains("CAP_PERFMON");
        }
    }

    private void writeConfig(Path config) throws Exception {
        Files.writeString(config, Files.readString(Path.of(ResourceHelpers.resourceFilePath("test-config.yml")))
                .replace("url: http://127.0.0.1:1\n", "url: " + registry.url() + "\n")
                .replace("bootstrapServers: 127.0.0.1:1\n", "bootstrapServers: " + broker.bootstrapServers() + "\n")
                // one uid at up to 20,000 calls/s: past the default per-user budget, which these tests do not measure
                .replace("capture:\n  attachMode: auto\n", "capture:\n  attachMode: auto\n  fairness:\n    enabled: false\n")
                + "spool:\n  dir: " + config.resolveSibling("spool") + "\n");
        io.mqtap.producer.cli.RegisterSchemasCommand.register(config); // as a fleet's CI/CD does: the producer only looks them up
    }

    /** Waits until every captured event is published or failed, and nothing more has arrived for a second. */
    private static void awaitQuiet(CapturePipeline p) {
        long[] lastCaptured = {-1};
        // settled, with nothing captured since the last look, for a whole second
        await("the pipeline settled").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    var c = p.counters();
                    boolean same = c.captured() == lastCaptured[0];
                    lastCaptured[0] = c.captured();
                    return same && c.published() + c.failed() + c.dropped() == c.captured() && c.inFlight() == 0;
                });
    }
}
