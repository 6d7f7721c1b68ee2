package io.mqtap.bench.faults;

import com.fasterxml.jackson.databind.JsonNode;
import io.mqtap.avro.MqOpen;
import io.mqtap.bench.BenchArgs;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.SchemaRegistryClient;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaBrokerProcess;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.process.ChildProcesses;
import io.mqtap.testkit.process.ProducerClasspath;
import io.mqtap.testkit.process.ProducerProcess;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.ArgumentParser;
import net.sourceforge.argparse4j.inf.Namespace;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code ./mqtap bench faults}: each scenario breaks something (broker SIGKILL and restart, broker paused, registry
 * down, producer SIGTERM / SIGKILL / restart, kernel buffer overflow) while mq_open_gen makes calls at a steady
 * rate, then reconciles the generator's own count against the records in Kafka (by its pid, and by runId and
 * sequence). Broker, registry and producer are separate processes on 127.0.0.1, each ended by its own PID.
 * Last line: {@code faults: scenarios=<N> passed=<N> lost=<N> duplicated=<N>}.
 */
public final class FaultsBench {
    private static final String TOPIC = "mq-open-events";
    private static final String PREFIX = "mqtap-fault-";

    private final Path root;
    private final Path work;
    private final int rate;
    private final String producerClasspath;
    private KafkaBrokerProcess broker;
    private SchemaRegistryServer registry;
    private final List<Row> rows = new ArrayList<>();
    /** A reader that already knows the run's schema ids (the test registry keeps them in memory only); null: a fresh one. */
    private AvroDeserializer<MqOpen> warmReader;

    /** One scenario's reconciliation. lost: calls the generator made while the probe was attached with no record. */
    record Row(String scenario, long calls, long records, long lost, long duplicated, long countedLost, boolean pass, String note) {}

    private FaultsBench(Path root, Path work, int rate, String producerClasspath) {
        this.root = root;
        this.work = work;
        this.rate = rate;
        this.producerClasspath = producerClasspath;
    }

    public static void main(String[] args) throws Exception {
        ArgumentParser parser = BenchArgs.parser("faults", "failure scenarios, each reconciled against the generator's calls");
        parser.addArgument("--rate").metavar("N").type(Integer.class).setDefault(3_000).help("calls/s (default 3000)");
        parser.addArgument("--only").metavar("SCENARIO").action(Arguments.append()).setDefault(new ArrayList<String>())
                .help("run only this scenario (repeatable)");
        Namespace ns = parser.parseArgsOrFail(args);
        int rate = ns.getInt("rate");
        List<String> only = ns.getList("only");
        Path root = Path.of(System.getProperty("mqtap.root", ".")).toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("mqtap-faults-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAll(work), "faults-cleanup"));
        FaultsBench b = new FaultsBench(root, work, rate, ProducerClasspath.of(root));
        try {
            b.broker = KafkaBrokerProcess.start(work.resolve("kafka"), Ports.freeLoopbackPort(), Ports.freeLoopbackPort(),
                    System.getProperty("java.class.path"), work.resolve("broker.log"));
            KafkaBrokerProcess started = b.broker;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.kill(); // by its PID, also when this JVM is stopped with SIGTERM or Ctrl-C
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "faults-broker-stop"));
            b.registry = SchemaRegistryServer.start();
            say("broker %s (pid %d), registry %s (pid %d), generator rate %d/s", b.broker.bootstrapServers(), b.broker.pid(),
                    b.registry.url(), b.registry.pid(), rate);
            Map<String, Scenario> all = new LinkedHashMap<>();
            all.put("broker-sigkill-20s", b::brokerKilled);
            all.put("broker-paused", b::brokerPaused);
            all.put("registry-down-at-start", b::registryDownAtStart);
            all.put("registry-down-mid-run", b::registryDownMidRun);
            all.put("producer-sigterm", b::producerTerm);
            all.put("producer-sigkill", b::producerKill);
            all.put("kernel-overflow", b::kernelOverflow);
            all.put("producer-restart", b::producerRestart);
            all.put("flood-fairness", b::floodFairness);
            for (Map.Entry<String, Scenario> e : all.entrySet()) {
                if (!only.isEmpty() && !only.contains(e.getKey())) continue;
                say("== %s", e.getKey());
                long t0 = System.nanoTime();
                try {
                    e.getValue().run(e.getKey());
                } catch (Exception ex) {
                    b.rows.add(new Row(e.getKey(), 0, 0, 0, 0, 0, false, "error: " + ex));
                    say("%s failed: %s", e.getKey(), ex);
                    ChildProcesses.stopAll();
                    if (!b.broker.alive()) b.broker.restart();
                    if (!b.registry.isRunning()) b.registry.restart();
                }
                say("%s done in %.0f s: %s", e.getKey(), (System.nanoTime() - t0) / 1e9, b.rows.get(b.rows.size() - 1));
            }
        } finally {
            if (b.registry != null) b.registry.close();
            if (b.broker != null) b.broker.close();
            stopAll(work);
        }
        b.report();
    }

    interface Scenario {
        void run(String name) throws Exception;
    }

    // ---------------------------------------------------------------------------------------------------------

    private void brokerKilled(String name) throws Exception {
        long from = endOffset();
        Producer p = startProducer(name, Map.of());
        Process gen = generator(name, rate, 45_000);
        Thread.sleep(8_000);
        broker.kill();
        say("broker SIGKILLed; down for 20 s");
        Thread.sleep(20_000);
        broker.restart();
        say("broker back");
        MqOpenGenerator.Result g = MqOpenGenerator.await(gen);
        reconcileAfterTerm(name, p, g, from, false);
    }

    private void brokerPaused(String name) throws Exception {
        long from = endOffset();
        // a small hand-off fills in a fraction of a second; with overflow: block the kernel buffer takes the rest
        Producer p = startProducer(name, Map.of("pipeline", Map.of("handoffCapacity", 1024, "statsInterval", "1s",
                "shutdownTimeout", "60s")));
        Process gen = generator(name, rate, 30_000);
        Thread.sleep(5_000);
        broker.pause();
        say("broker SIGSTOPped for 15 s");
        try {
            Thread.sleep(15_000);
            JsonNode m = p.metrics();
            say("while paused: handoff depth %d, captured %d, published %d", m.path("gauges").path("mqtap.handoff.depth").path("value").asLong(),
                    m.path("meters").path("mqtap.captured").path("count").asLong(), m.path("meters").path("mqtap.published").path("count").asLong());
        } finally {
            broker.resume();
        }
        MqOpenGenerator.Result g = MqOpenGenerator.await(gen);
        reconcileAfterTerm(name, p, g, from, false);
    }

    private void registryDownAtStart(String name) throws Exception {
        long from = endOffset();
        registry.stop();
        Producer p = startProducer(name, Map.of());
        Process gen = generator(name, rate, 20_000);
        Thread.sleep(6_000);
        registry.restart();
        say("registry back");
        MqOpenGenerator.Result g = MqOpenGenerator.await(gen);
        reconcileAfterTerm(name, p, g, from, false);
    }

    private void registryDownMidRun(String name) throws Exception {
        long from = endOffset();
        Producer p = startProducer(name, Map.of());
        Process gen = generator(name, rate, 20_000);
        Thread.sleep(5_000);
        // the test registry is in memory: a restart forgets the ids, so read with a reader that learned them first
        warmReader = warm(from);
        registry.stop();
        say("registry stopped");
        long pub0 = p.metrics().path("meters").path("mqtap.published").path("count").asLong();
        Thread.sleep(10_000);
        long pub1 = p.metrics().path("meters").path("mqtap.published").path("count").asLong();
        say("published while the registry was down: %d", pub1 - pub0);
        MqOpenGenerator.Result g = MqOpenGenerator.await(gen);
        Row r;
        try {
            r = reconcileAfterTerm(name, p, g, from, true);
        } finally {
            warmReader = null;
        }
        if (pub1 - pub0 < rate * 5L) replaceLast(r, false, "only " + (pub1 - pub0) + " published while the registry was down");
    }

    private void producerTerm(String name) throws Exception {
        long from = endOffset();
        Producer p = startProducer(name, Map.of());
        Process gen = generator(name, rate, 15_000);
        Thread.sleep(7_000);
        // SIGTERM under load: what was captured is published; calls after the probe detached are not ours to count
        p.stop();
        MqOpenGenerator.Result g = MqOpenGenerator.await(gen);
        Stop s = p.stopLine();
        List<MqOpen> run = records(from, p.runId(), s == null ? 0 : s.published);
        Check c = check(run);
        long mine = run.stream().filter(r -> r.getPid() == g.pid()).count();
        boolean pass = s != null && c.duplicated == 0 && c.gaps == 0 && run.size() == s.captured && s.published == s.captured
                && s.failed == 0 && s.dropped == 0;
        rows.add(new Row(name, g.calls(), mine, s == null ? -1 : s.captured - run.size(), c.duplicated,
                s == null ? -1 : s.lostKernel + s.dropped + s.failed, pass,
                "stop line " + (s == null ? "missing" : "captured " + s.captured + " published " + s.published)
                        + "; generator calls after the stop are not captured, by design"));
    }

    private void producerKill(String name) throws Exception {
        long from = endOffset();
        Producer p = startProducer(name, Map.of());
        Process gen = generator(name, rate, 15_000);
        Thread.sleep(7_000);
        JsonNode before = p.metrics();
        p.process.kill(); // SIGKILL by its PID
        MqOpenGenerator.Result g = MqOpenGenerator.await(gen);
        long capturedBefore = before.path("meters").path("mqtap.captured").path("count").asLong();
        List<MqOpen> run = records(from, p.runId(), 1);
        Thread.sleep(3_000);
        run = records(from, p.runId(), run.size());
        Check c = check(run);
        // the records form 0..k-1: the loss is only at the end (what was in flight, never acknowledged), and everything
        // the last stats record counted as published is there; the dead process cannot count the rest
        io.mqtap.avro.MqOpenStats last = lastStats(p.runId());
        long lastPublished = last == null ? 0 : last.getPublished();
        boolean pass = c.duplicated == 0 && c.gaps == 0 && c.maxSeq + 1 == run.size() && run.size() >= lastPublished;
        rows.add(new Row(name, g.calls(), run.stream().filter(r -> r.getPid() == g.pid()).count(), -1, c.duplicated,
                -1, pass, String.format(Locale.ROOT, "records are exactly sequence 0..%d (no gap inside, none twice); the last stats "
                        + "record (<= 1 s before the kill) said captured %d published %d; /metrics 0-1 s before the kill said captured %d. "
                        + "Lost: only what was captured but unacknowledged at the kill, i.e. sequence numbers past %d; uncountable by the dead process",
                        c.maxSeq, last == null ? -1 : last.getCaptured(), lastPublished, capturedBefore, c.maxSeq)));
    }

    private void kernelOverflow(String name) throws Exception {
        long from = endOffset();
        // the kernel buffer's own loss: per-user fairness off, or it would keep most of this one uid's flood out of the buffer
        Producer p = startProducer(name, Map.of("capture", Map.of("perCpuPages", 1, "wakeupBytes", 2048,
                "filters", Map.of("namePrefix", PREFIX), "fairness", Map.of("enabled", false))));
        Process gen = generator(name, 0, 5_000); // as fast as it goes
        MqOpenGenerator.Result g = MqOpenGenerator.await(gen);
        Row r = reconcileAfterTerm(name, p, g, from, false);
        if (r.countedLost() == 0) replaceLast(r, r.pass(), "no overflow happened at " + Math.round(g.callsPerSec()) + " calls/s");
    }

    private void producerRestart(String name) throws Exception {
        Stop sa;
        Stop sb;
        long from = endOffset();
        Producer a = startProducer(name + "-a", Map.of());
        MqOpenGenerator.Result ga = MqOpenGenerator.await(generator(name, rate, 8_000));
        awaitQuiet(a);
        a.stop();
        sa = a.stopLine();
        Producer b = startProducer(name + "-b", Map.of());
        MqOpenGenerator.Result gb = MqOpenGenerator.await(generator(name, rate, 8_000));
        awaitQuiet(b);
        b.stop();
        sb = b.stopLine();
        List<MqOpen> all = records(from, null, sa.published + sb.published);
        String runA = a.runId();
        String runB = b.runId();
        List<MqOpen> ra = all.stream().filter(r -> r.getRunId().equals(runA)).toList();
        List<MqOpen> rb = all.stream().filter(r -> r.getRunId().equals(runB)).toList();
        Check ca = check(ra);
        Check cb = check(rb);
        long calls = ga.calls() + gb.calls();
        long got = ra.stream().filter(r -> r.getPid() == ga.pid()).count() + rb.stream().filter(r -> r.getPid() == gb.pid()).count();
        long crossed = ra.stream().filter(r -> r.getPid() == gb.pid()).count() + rb.stream().filter(r -> r.getPid() == ga.pid()).count();
        boolean pass = !runA.equals(runB) && ca.duplicated + cb.duplicated == 0 && ca.gaps + cb.gaps == 0
                && got == calls && crossed == 0;
        rows.add(new Row(name, calls, got, calls - got, ca.duplicated + cb.duplicated, 0, pass,
                "run ids " + runA.substring(0, 8) + " / " + runB.substring(0, 8) + ", each numbered from 0, no call in both runs"));
    }

    private static final long NOBODY = 65534, VICTIM = 64321;

    /**
     * A flooder as nobody on every CPU, failing mq_open calls as fast as it can for 30 s, beside a victim uid making 100
     * successful opens a second, each with a name of its own, under the default fairness budget. Every victim call
     * must arrive (read back from Kafka by name), and the flooder's emitted + suppressed + lost must equal its calls.
     */
    private void floodFairness(String name) throws Exception {
        long from = endOffset();
        Producer p = startProducer(name, Map.of());
        String victimName = PREFIX + "victim-" + Long.toHexString(System.nanoTime());
        int cpus = Runtime.getRuntime().availableProcessors();
        List<Process> flooders = new ArrayList<>();
        for (int i = 0; i < cpus; i++) flooders.add(as(NOBODY, "--duration-ms", "30000", "--name", PREFIX + "flood"));
        Process victim = as(VICTIM, "--unique", "--rate", "100", "--duration-ms", "30000", "--name", victimName);
        long floodCalls = 0;
        for (Process f : flooders) floodCalls += MqOpenGenerator.await(f).calls();
        MqOpenGenerator.Result v = MqOpenGenerator.await(victim);
        awaitQuiet(p);
        p.stop();
        Stop s = p.stopLine();
        if (s == null) throw new IllegalStateException("no stop line in " + p.process.log());
        List<MqOpen> run = records(from, p.runId(), s.published);
        Check c = check(run);
        Set<String> victimNames = new HashSet<>();
        long floodEmitted = 0;
        for (MqOpen r : run) {
            if (r.getUid() == VICTIM && r.getErrno() == null) victimNames.add(r.getName());
            if (r.getUid() == NOBODY) floodEmitted++;
        }
        long victimMissing = 0;
        for (long i = 0; i < v.calls(); i++) if (!victimNames.contains(victimName + "-" + i)) victimMissing++;
        long[] fair = uidAccount(p.runId(), NOBODY); // suppressed, lost: cumulative, from the run's stats records
        long accounted = floodEmitted + fair[0] + fair[1];
        boolean pass = v.ok() == v.calls() && victimMissing == 0 && accounted == floodCalls && fair[0] > 0
                && c.duplicated == 0 && c.gaps == s.dropped + s.failed;
        rows.add(new Row(name, floodCalls + v.calls(), floodEmitted + victimNames.size(), victimMissing, c.duplicated, s.lostKernel, pass,
                String.format(Locale.ROOT, "flooder (uid %d, %d processes): %d calls = %d emitted + %d suppressed + %d lost%s; "
                        + "victim (uid %d): %d of %d successful opens arrived", NOBODY, cpus, floodCalls, floodEmitted, fair[0], fair[1],
                        accounted == floodCalls ? "" : " (off by " + (floodCalls - accounted) + ")", VICTIM, v.calls() - victimMissing, v.calls())));
    }

    /**
     * mq_open_gen as {@code uid} (setpriv takes the number: no such user needed), from a copy named mqtap-fairgen that
     * the uid can run: tests elsewhere on this machine count mq_open_gen's calls by its comm, and must not count these.
     */
    private Process as(long uid, String... args) throws IOException {
        Path dir = work.resolve("fairgen");
        Path copy = dir.resolve("mqtap-fairgen");
        if (!Files.exists(copy)) {
            Files.createDirectories(dir);
            Files.copy(MqGen.binary(MqGen.GENERATOR), copy);
            for (Path p : List.of(work, dir, copy)) Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", copy.toString()));
        cmd.addAll(List.of(args));
        return ChildProcesses.track(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    /** The latest cumulative {suppressed, lost} of {@code uid} in the run's stats records. */
    private long[] uidAccount(String runId, long uid) {
        long[] best = {0, 0};
        for (io.mqtap.avro.MqOpenStats st : runStats(runId)) {
            if (st.getSuppressedByUid() == null) continue;
            for (io.mqtap.avro.UidSuppression u : st.getSuppressedByUid()) {
                if (u.getUid() == uid && u.getSuppressed() + u.getLost() >= best[0] + best[1]) {
                    best = new long[] {u.getSuppressed(), u.getLost()};
                }
            }
        }
        return best;
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Waits until the producer has published everything, SIGTERMs it, then compares the generator's calls with the records. */
    private Row reconcileAfterTerm(String name, Producer p, MqOpenGenerator.Result g, long from, boolean restartRegistry) throws Exception {
        awaitQuiet(p);
        p.stop();
        Stop s = p.stopLine();
        if (s == null) throw new IllegalStateException("no stop line in " + p.process.log());
        List<MqOpen> run = records(from, p.runId(), s.published);
        Check c = check(run);
        long mine = run.stream().filter(r -> r.getPid() == g.pid()).count();
        long lost = g.calls() - mine;
        long counted = s.lostKernel + s.dropped + s.failed;
        if (restartRegistry && !registry.isRunning()) registry.restart();
        boolean pass = c.duplicated == 0 && lost == counted && run.size() == s.published && c.gaps == s.dropped + s.failed;
        Row r = new Row(name, g.calls(), mine, lost, c.duplicated, counted, pass,
                String.format(Locale.ROOT, "stop: captured %d published %d failed %d dropped %d lost in kernel %d; %.0f calls/s",
                        s.captured, s.published, s.failed, s.dropped, s.lostKernel, g.callsPerSec()));
        rows.add(r);
        return r;
    }

    private void replaceLast(Row r, boolean pass, String note) {
        rows.set(rows.size() - 1, new Row(r.scenario(), r.calls(), r.records(), r.lost(), r.duplicated(), r.countedLost(),
                r.pass() && pass, r.note() + "; " + note));
    }

    record Check(long duplicated, long gaps, long maxSeq) {}

    private static Check check(List<MqOpen> run) {
        Set<Long> seen = new HashSet<>();
        long dup = 0;
        long max = -1;
        for (MqOpen r : run) {
            if (!seen.add(r.getSequence())) dup++;
            max = Math.max(max, r.getSequence());
        }
        return new Check(dup, max + 1 - seen.size(), max);
    }

    private void awaitQuiet(Producer p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            JsonNode m = p.metrics();
            long captured = m.path("meters").path("mqtap.captured").path("count").asLong();
            long done = m.path("meters").path("mqtap.published").path("count").asLong()
                    + m.path("counters").path("mqtap.failed").path("count").asLong()
                    + m.path("counters").path("mqtap.dropped").path("count").asLong();
            if (done >= captured && m.path("gauges").path("mqtap.inflight").path("value").asLong() == 0) return;
            Thread.sleep(250);
        }
        say("%s did not settle within 180 s", p.label);
    }

    // ---------------------------------------------------------------------------------------------------------

    private Process generator(String scenario, long perSec, long millis) throws IOException {
        return ChildProcesses.track(MqOpenGenerator.start(new MqOpenGenerator.Options(0, perSec, millis, PREFIX + scenario, false)));
    }

    private long endOffset() {
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            return c.endOffsets(List.of(tp), Duration.ofSeconds(30)).getOrDefault(tp, 0L);
        } catch (Exception e) {
            return 0; // the topic does not exist yet
        }
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Map<String, Object> cfg = Map.of("bootstrap.servers", broker.bootstrapServers(), "enable.auto.commit", false,
                "max.poll.records", 5000);
        return new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Records from offset {@code from} on, of one run (null: any run), until at least {@code want} arrived or 60 s. */
    private AvroDeserializer<MqOpen> warm(long from) {
        AvroDeserializer<MqOpen> de = new AvroDeserializer<>(new SchemaRegistryClient(RegistryConfig.builder().url(registry.url()).build()),
                MqOpen.class);
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            c.assign(List.of(tp));
            c.seek(tp, from);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    de.deserialize(TOPIC, r.value());
                    return de;
                }
            }
        }
        throw new IllegalStateException("no record to learn the schema id from");
    }

    private List<MqOpen> records(long from, String runId, long want) {
        AvroDeserializer<MqOpen> de = warmReader != null ? warmReader
                : new AvroDeserializer<>(new SchemaRegistryClient(RegistryConfig.builder().url(registry.url()).build()), MqOpen.class);
        List<MqOpen> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            c.assign(List.of(tp));
            c.seek(tp, from);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long idleSince = System.nanoTime();
            while (System.nanoTime() < deadline) {
                boolean any = false;
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    any = true;
                    MqOpen v = de.deserialize(TOPIC, r.value());
                    if (runId == null || v.getRunId().equals(runId)) out.add(v);
                }
                if (any) idleSince = System.nanoTime();
                if (out.size() >= want && System.nanoTime() - idleSince > TimeUnit.SECONDS.toNanos(2)) break;
            }
        }
        return out;
    }

    private io.mqtap.avro.MqOpenStats lastStats(String runId) {
        // the newest of those with the highest sequence: a quiet interval repeats a sequence with later counters
        return runStats(runId).stream().reduce((a, b) -> b.getSequence() >= a.getSequence() ? b : a).orElse(null);
    }

    /** The run's stats records, read from the start of the stats topic to its end (at most 30 s). */
    private List<io.mqtap.avro.MqOpenStats> runStats(String runId) {
        AvroDeserializer<io.mqtap.avro.MqOpenStats> de = new AvroDeserializer<>(
                new SchemaRegistryClient(RegistryConfig.builder().url(registry.url()).build()), io.mqtap.avro.MqOpenStats.class);
        List<io.mqtap.avro.MqOpenStats> run = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            TopicPartition tp = new TopicPartition("mq-open-stats", 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    io.mqtap.avro.MqOpenStats s;
                    try {
                        s = de.deserialize("mq-open-stats", r.value());
                    } catch (org.apache.kafka.common.errors.SerializationException e) {
                        continue; // an earlier run's record whose schema id a restarted (in-memory) registry forgot
                    }
                    if (s.getRunId().equals(runId)) run.add(s);
                }
            }
        }
        return run;
    }

    // ---------------------------------------------------------------------------------------------------------

    record Stop(long captured, long published, long failed, long dropped, long lostKernel, long lastSequence) {}

    /** One producer of a scenario: testkit's {@link ProducerProcess} (the unit's heap), config in the work dir. */
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

        Stop stopLine() {
            ProducerProcess.StopLine l = process.stopLine();
            return l == null ? null : new Stop(l.captured(), l.published(), l.failed(), l.dropped(), l.lostKernel(), l.lastSequence());
        }
    }

    private Producer startProducer(String label, Map<String, Object> overrides) throws Exception {
        int admin = Ports.freeLoopbackPort();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kafka", new LinkedHashMap<>(Map.of("bootstrapServers", broker.bootstrapServers(), "topic", TOPIC,
                "statsTopic", "mq-open-stats", "partitions", 1, "minReplication", 1, "minInsyncReplicas", 1)));
        c.put("spool", new LinkedHashMap<>(Map.of("dir", work.resolve("spool").toString())));
        c.put("schemaRegistry", new LinkedHashMap<>(Map.of("url", registry.url())));
        // opens only: the scenarios reconcile MqOpen records, and the queue life's records (other processes' unlinks and
        // sends on the host) would take sequence numbers of the run and show as gaps among them
        c.put("capture", new LinkedHashMap<>(Map.of("filters", Map.of("namePrefix", PREFIX), "queueLife", false)));
        c.put("pipeline", new LinkedHashMap<>(Map.of("statsInterval", "1s", "shutdownTimeout", "60s")));
        c.put("server", Map.of("applicationConnectors", List.of(Map.of("type", "http", "bindHost", "127.0.0.1", "port", 0)),
                "adminConnectors", List.of(Map.of("type", "http", "bindHost", "127.0.0.1", "port", admin))));
        c.put("logging", Map.of("level", "INFO", "loggers", Map.of("org.apache.kafka", "WARN")));
        overrides.forEach((k, v) -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> section = (Map<String, Object>) c.get(k);
            if (section == null) c.put(k, v);
            else section.putAll(castMap(v));
        });
        io.mqtap.bench.SchemasFirst.register(c);
        ProducerProcess p = ProducerProcess.builder().classpath(producerClasspath).adminPort(admin)
                .log(work.resolve(label + ".log")).server(work.resolve(label + ".yml"), c).start();
        Producer pr = new Producer(label, p);
        p.awaitOutput("Started oejs.Server", Duration.ofSeconds(120));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                pr.metrics();
                say("producer %s: pid %d, run %s", label, p.pid(), pr.runId());
                return pr;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) throw new IllegalStateException(label + " answers no /metrics; see " + p.log(), e);
                Thread.sleep(200); // admin port not answering yet
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object v) {
        return (Map<String, Object>) v;
    }

    // ---------------------------------------------------------------------------------------------------------

    private void report() {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-24s %9s %9s %7s %10s %12s  %s%n", "scenario", "calls", "records", "lost", "duplicated",
                "counted-lost", "verdict");
        long lost = 0;
        long dup = 0;
        int passed = 0;
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-24s %9d %9d %7d %10d %12s  %s%n", r.scenario(), r.calls(), r.records(), r.lost(),
                    r.duplicated(), r.countedLost() < 0 ? "-" : Long.toString(r.countedLost()), r.pass() ? "PASS" : "FAIL");
            System.out.println("    " + r.note());
            lost += Math.max(0, r.lost());
            dup += r.duplicated();
            if (r.pass()) passed++;
        }
        System.out.printf(Locale.ROOT, "faults: scenarios=%d passed=%d lost=%d duplicated=%d%n", rows.size(), passed, lost, dup);
    }

    private static void stopAll(Path work) {
        ChildProcesses.stopAll();
        if (Files.exists(work)) {
            try (Stream<Path> paths = Files.walk(work)) {
                paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // best effort
            }
        }
    }

    static void say(String fmt, Object... args) {
        System.out.println("[" + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "] " + String.format(Locale.ROOT, fmt, args));
        System.out.flush();
    }
}
