package io.mqtap.bench.pipeline;

import io.mqtap.bench.BenchArgs;
import io.mqtap.bench.LatencySamples;
import io.mqtap.bench.RunReadBack;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.process.ChildProcesses;
import io.mqtap.testkit.process.ProcStat;
import io.mqtap.testkit.process.ProducerClasspath;
import io.mqtap.testkit.process.ProducerProcess;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.ArgumentParser;
import net.sourceforge.argparse4j.inf.Namespace;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code ./mqtap bench pipeline}: the generator, a Kafka broker and mqtap together on this machine, each its own
 * process. Finds the highest steady mq_open rate mqtap delivers to Kafka (acks=all) with nothing lost, measures
 * Kafka's own ProducerPerformance on records of the same size against the same broker, compares CPU per record,
 * and reports kernel-to-ack latency at 1k/10k/50k events/s (mqtap's histogram, cold start included, and the steady
 * kernel-to-append latency after a warm-up, from the records' LogAppendTime) and idle CPU and RSS. Last line:
 * {@code pipeline cpu-ratio=<x.xx> events-per-sec=<N> lost=<N> p99-steady-ms=<N>}.
 */
public final class PipelineBench {
    private static final String TOPIC = "mq-open-events";
    private static final String PP_TOPIC = "producer-perf";
    private static final String NAME_PREFIX = "mqtap-pbench-";
    /** How long the steady read-back waits for a run's backlog to reach the broker. */
    private static final Duration BACKLOG_WAIT = Duration.ofSeconds(60);

    /** mqtap's own producer settings (ProducerSettings), given to ProducerPerformance too, so only the work differs. */
    private static final Map<String, String> SAME_PRODUCER_SETTINGS = Map.of(
            "acks", "all", "enable.idempotence", "true", "compression.type", "lz4", "linger.ms", "5",
            "batch.size", "65536", "max.in.flight.requests.per.connection", "5");

    private final Options o;
    private final Path root;
    private final Path work;
    private final String queueName;
    private String bootstrap;
    private String registryUrl;
    private String producerClasspath;

    private PipelineBench(Options o, Path root, Path work) {
        this.o = o;
        this.root = root;
        this.work = work;
        this.queueName = NAME_PREFIX + ProcessHandle.current().pid();
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n" + Options.parser().formatUsage());
            System.exit(2);
            return;
        }
        // load every class of this benchmark now: other builds on this machine may rewrite bench/target/classes mid-run
        for (Class<?> c : List.of(KafkaPerf.class, KafkaPerf.Run.class, MqTapProcess.class, MqTapProcess.Snapshot.class,
                ProducerProcess.class, ProducerProcess.StopLine.class, ChildProcesses.class, ProcStat.class, Step.class, Latency.class,
                SteadyLatency.class, LatencySamples.class, RunReadBack.class)) {
            Class.forName(c.getName(), true, c.getClassLoader());
        }
        Path root = Path.of(System.getProperty("mqtap.root", ".")).toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("mqtap-pipeline-bench-");
        Thread cleanup = new Thread(() -> deleteRecursively(work), "pipeline-bench-tmp");
        Runtime.getRuntime().addShutdownHook(cleanup);
        SchemaRegistryServer registry = null;
        Process broker = null;
        try {
            PipelineBench b = new PipelineBench(o, root, work);
            b.producerClasspath = ProducerClasspath.snapshot(ProducerClasspath.of(root), work.resolve("producer-lib"));
            say("load average %s; %d CPUs; CLK_TCK %d; %s", ProcStat.loadAverage(), Runtime.getRuntime().availableProcessors(),
                    ProcStat.ticksPerSecond(), o.quick ? "quick" : "full");
            broker = startBroker(b);
            registry = SchemaRegistryServer.start();
            b.registryUrl = registry.url();
            say("broker %s (pid %d), registry %s (pid %d)", b.bootstrap, broker.pid(), b.registryUrl, registry.pid());
            b.run();
        } finally {
            if (registry != null) registry.close();
            ChildProcesses.stopAll();
            deleteRecursively(work);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** One run of the generator against a running mqtap, with the producer's counts and CPU around it. */
    record Step(long requested, long calls, double achieved, long captured, long published, long lostKernel,
                long dropped, long failed, double cpuSeconds, double windowSeconds, double drainSeconds, boolean pass,
                long firstOffset, long startEpochMicros) {
        /** Counted losses: in the kernel buffer, at the hand-off, at delivery. */
        long lost() {
            return lostKernel + dropped + failed;
        }

        double cpuPerMillion() {
            return published == 0 ? Double.NaN : cpuSeconds / published * 1e6;
        }

        String line() {
            return String.format(Locale.ROOT, "rate %-9s achieved %8.0f/s  calls %9d captured %9d published %9d lost-kernel %d "
                            + "dropped %d failed %d drain %.2f s  mqtap CPU %.2f s = %.2f s/M (%.0f%% of a core)  %s",
                    requested == 0 ? "max" : Long.toString(requested), achieved, calls, captured, published, lostKernel,
                    dropped, failed, drainSeconds, cpuSeconds, cpuPerMillion(), 100 * cpuSeconds / windowSeconds,
                    pass ? "PASS" : "FAIL");
        }
    }

    /** One latency run: mqtap's histogram (the whole run, cold start included) and the steady window read back from Kafka. */
    record Latency(long rate, Step step, long count, double p50Ms, double p99Ms, SteadyLatency steady) {}

    private void run() throws Exception {
        List<Latency> latencies = new ArrayList<>();
        double idleCpuPercent;
        double idleRssMiB;
        double recordBytes;
        double keyBytes;

        // 0. mqtap's topic made before mqtap (which then finds it): the broker stamps each batch as it appends it, the
        // clock the steady latency is read on (one partition, min.insync.replicas 1: what mqtap would create here)
        createTopic(TOPIC, Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, TimestampType.LOG_APPEND_TIME.name,
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "1"));
        say("%s created with %s=%s", TOPIC, TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, TimestampType.LOG_APPEND_TIME.name);

        // 1. idle, then 1k/s, on a fresh producer
        try (MqTapProcess p = startMqTap("idle-1k")) {
            Thread.sleep(o.settleMillis);
            double c0 = ProcStat.cpuSeconds(p.pid());
            long t0 = System.nanoTime();
            Thread.sleep(o.idleSeconds * 1000L);
            double c1 = ProcStat.cpuSeconds(p.pid());
            idleCpuPercent = 100 * (c1 - c0) / ((System.nanoTime() - t0) / 1e9);
            idleRssMiB = ProcStat.rssMiB(p.pid());
            say("idle: %.2f%% of a core over %d s, RSS %.0f MiB (after %d ms settling)", idleCpuPercent, o.idleSeconds,
                    idleRssMiB, o.settleMillis);
            latencies.add(latency(p, 1_000));
            double[] sizes = meanRecordSize();
            keyBytes = sizes[0];
            recordBytes = sizes[1];
            say("mqtap records on %s: key %.1f bytes, value %.1f bytes (mean of %d, as serialized, Confluent framing included)",
                    TOPIC, keyBytes, recordBytes, (long) sizes[2]);
            reconcile(p);
        }
        // 2. 10k/s on a fresh producer
        try (MqTapProcess p = startMqTap("10k")) {
            latencies.add(latency(p, 10_000));
            reconcile(p);
        }
        // 3. 50k/s on a fresh producer, which then warm goes on to the rate search and the CPU window
        Step best;
        Step cpuWindow;
        try (MqTapProcess p = startMqTap("50k-search")) {
            latencies.add(latency(p, 50_000));
            best = search(p);
            cpuWindow = best == null ? null : confirm(p, best);
            reconcile(p);
        }

        // 4. ProducerPerformance against the same broker: records of the same size, same producer settings
        int ppSize = (int) Math.round(recordBytes + keyBytes);
        createTopic(PP_TOPIC, Map.of());
        List<String> ppProps = new ArrayList<>();
        Map<String, String> settings = new LinkedHashMap<>(SAME_PRODUCER_SETTINGS);
        settings.putAll(o.kafkaProperties());
        settings.forEach((k, v) -> ppProps.add(k + "=" + v));
        KafkaPerf pp = new KafkaPerf(root.resolve("bench/target/kafka-tools-lib"), bootstrap, ppProps);
        KafkaPerf.Run ppStart = pp.run(PP_TOPIC, 1, ppSize, -1, 0);
        say("ProducerPerformance with 1 record (JVM start, producer set-up, close): %.2f s CPU", ppStart.cpuSeconds());
        KafkaPerf.Run ppMatched = null;
        if (cpuWindow != null) {
            long rate = Math.round(cpuWindow.achieved());
            long n = Math.max(10_000, rate * (o.cpuSeconds + o.ppWarmupSeconds));
            ppMatched = pp.run(PP_TOPIC, n, ppSize, rate, o.ppWarmupSeconds);
            sayPp("at mqtap's rate", ppMatched, ppStart);
        }
        KafkaPerf.Run ppFlat = null;
        if (o.flatOutReference) {
            ppFlat = pp.run(PP_TOPIC, o.ppFlatRecords, ppSize, -1, o.ppWarmupSeconds);
            sayPp("as fast as it goes", ppFlat, ppStart);
        }
        admin().close(Duration.ofSeconds(5));

        // 5. the report
        System.out.println();
        System.out.println("== pipeline summary (load average now " + ProcStat.loadAverage() + ") ==");
        System.out.printf(Locale.ROOT, "idle: %.2f%% of a core, RSS %.0f MiB%n", idleCpuPercent, idleRssMiB);
        for (Latency l : latencies) {
            System.out.printf(Locale.ROOT, "latency at %6d/s (achieved %.0f/s, %d acks in window, warm-up included): p50 %.1f ms, p99 %.1f ms, lost %d%n",
                    l.rate(), l.step().achieved(), l.count(), l.p50Ms(), l.p99Ms(), l.step().lost());
            System.out.println(steadyLine(l.rate(), l.steady()));
        }
        System.out.printf(Locale.ROOT, "record size: key %.1f + value %.1f bytes -> ProducerPerformance --record-size %d%n",
                keyBytes, recordBytes, ppSize);
        double ratio = Double.NaN;
        if (cpuWindow != null) {
            System.out.println("highest zero-loss step of the search: " + best.line());
            System.out.println("confirmation and CPU window at that rate: " + cpuWindow.line());
            double ppSteady = ppMatched.steadyCpuPerMillion();
            double ppWhole = perMillion(ppMatched, ppStart);
            ratio = cpuWindow.cpuPerMillion() / ppSteady;
            System.out.printf(Locale.ROOT, "CPU per million records at %.0f/s: mqtap %.2f s (warm, %.1f s window); ProducerPerformance "
                            + "%.2f s steady (%.1f s window after %d s warm-up) -> ratio %.2f; its whole run less a 1-record run: "
                            + "%.2f s -> ratio %.2f%n", cpuWindow.achieved(), cpuWindow.cpuPerMillion(), cpuWindow.windowSeconds(),
                    ppSteady, ppMatched.steadySeconds(), o.ppWarmupSeconds, ratio, ppWhole, cpuWindow.cpuPerMillion() / ppWhole);
            double[] perM = warmWindows.stream().mapToDouble(Step::cpuPerMillion).sorted().toArray();
            if (perM.length > 0) System.out.printf(Locale.ROOT, "  spread: mqtap CPU per million over all %d runs of the 50k/search process at >= 10k/s: "
                            + "min %.2f, median %.2f, max %.2f s -> median over ProducerPerformance steady at mqtap's rate: %.2f%n",
                    perM.length, perM[0], perM[perM.length / 2], perM[perM.length - 1], perM[perM.length / 2] / ppSteady);
            if (ppFlat != null) {
                // a run shorter than the warm-up has no steady window: then its whole run less the 1-record run
                boolean steady = ppFlat.steadyRecords() > 0;
                double flat = steady ? ppFlat.steadyCpuPerMillion() : perMillion(ppFlat, ppStart);
                System.out.printf(Locale.ROOT, "  (ProducerPerformance flat out: %.0f records/s, %.2f s CPU per million %s -> ratio %.2f)%n",
                        ppFlat.recordsPerSec(), flat, steady ? "steady" : "whole run less the 1-record run", cpuWindow.cpuPerMillion() / flat);
            }
        } else {
            System.out.println("no rate was delivered without loss");
        }
        Latency l10k = latencies.get(1);
        // judged on the steady window: the histogram's p99 is mostly the fresh producer's first second (BENCHMARKS.md)
        long p99Steady = l10k.steady().quantileMs(0.99);
        System.out.printf(Locale.ROOT, "targets: cpu-ratio <= 1.5 %s, events-per-sec >= 150000 %s, p99 at 10k/s <= 50 ms %s "
                        + "(steady: %d ms kernel-to-append after %d s warm-up; the histogram's %.1f ms includes the cold start)%n",
                verdict(ratio <= 1.5), verdict(cpuWindow != null && cpuWindow.achieved() >= 150_000),
                verdict(l10k.steady().complete() && p99Steady <= 50), p99Steady, o.warmupSeconds, l10k.p99Ms());
        System.out.printf(Locale.ROOT, "pipeline cpu-ratio=%.2f events-per-sec=%d lost=%d p99-steady-ms=%d%n", ratio,
                cpuWindow == null ? 0 : Math.round(cpuWindow.achieved()), cpuWindow == null ? best == null ? -1 : best.lost() : cpuWindow.lost(),
                p99Steady);
    }

    private static String verdict(boolean met) {
        return met ? "met" : "NOT met";
    }

    private static double perMillion(KafkaPerf.Run run, KafkaPerf.Run start) {
        return (run.cpuSeconds() - start.cpuSeconds()) / (run.records() - start.records()) * 1e6;
    }

    private static void sayPp(String what, KafkaPerf.Run r, KafkaPerf.Run start) {
        say("ProducerPerformance %s: %d records, %.0f records/s (%.2f MB/s), p50 %.0f ms p99 %.0f ms, CPU %.2f s in %.1f s "
                        + "-> %.2f s per million less the 1-record run; steady: %.2f s CPU for %d records in %.1f s -> %.2f s per million",
                what, r.records(), r.recordsPerSec(), r.mbPerSec(), r.p50Ms(), r.p99Ms(), r.cpuSeconds(), r.wallSeconds(),
                perMillion(r, start), r.steadyCpuSeconds(), r.steadyRecords(), r.steadySeconds(), r.steadyCpuPerMillion());
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Runs the generator at a rate on a fresh producer for the warm-up and then the window, in one run, and reads the
     * latency histogram (which holds only this run, both parts) and the window's records back from Kafka.
     */
    private Latency latency(MqTapProcess p, long rate) throws Exception {
        Step s = step(p, rate, (o.warmupSeconds + o.latencySeconds) * 1000L);
        MqTapProcess.Snapshot m = p.metrics();
        SteadyLatency steady = steadyLatency(s);
        Latency l = new Latency(rate, s, m.latencyCount(), m.p50Micros() / 1000, m.p99Micros() / 1000, steady);
        say("latency %s: p50 %.1f ms p99 %.1f ms over %d acks", s.line(), l.p50Ms(), l.p99Ms(), l.count());
        return l;
    }

    /** The run's records as the broker holds them: LogAppendTime less the kernel timestamp, for events made after the warm-up. */
    private SteadyLatency steadyLatency(Step s) throws Exception {
        SteadyLatency steady = new SteadyLatency(s.startEpochMicros() + o.warmupSeconds * 1_000_000L);
        long[] createTime = {0};
        long t0 = System.nanoTime();
        // a run that fell behind is still publishing, and its late records are the tail: read once the broker holds them
        long expected = s.captured() - s.dropped() - s.failed();
        long deadline = t0 + BACKLOG_WAIT.toNanos();
        while (endOffset() - s.firstOffset() < expected && System.nanoTime() < deadline) Thread.sleep(50);
        long end = endOffset();
        steady.notInKafka(Math.max(0, expected - (end - s.firstOffset())));
        long read = RunReadBack.range(bootstrap, registryUrl, new TopicPartition(TOPIC, 0), s.firstOffset(), end, Duration.ofSeconds(10),
                (r, e) -> {
                    if (r.timestampType() != TimestampType.LOG_APPEND_TIME) createTime[0]++;
                    steady.add(ChronoUnit.MICROS.between(Instant.EPOCH, e.getTimestamp()), r.timestamp());
                });
        // a record stamped by its producer would measure nothing: the topic must be LogAppendTime (created so in run())
        if (createTime[0] > 0) {
            throw new IllegalStateException(createTime[0] + " records of " + TOPIC + " carry no LogAppendTime: the topic's "
                    + TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG + " is not LogAppendTime");
        }
        say("steady window waited for and read back in %.1f s: %d of %d records (offsets %d-%d), %d of the %d s warm-up left out",
                (System.nanoTime() - t0) / 1e9, read, end - s.firstOffset(), s.firstOffset(), end, steady.warmupRecords(), o.warmupSeconds);
        say("%s", steadyLine(s.requested(), steady));
        return steady;
    }

    private String steadyLine(long rate, SteadyLatency steady) {
        String late = steady.notInKafka() == 0 ? "" : String.format(Locale.ROOT,
                "; %d records not in Kafka %d s after the run, left out: the figures are a floor", steady.notInKafka(), BACKLOG_WAIT.toSeconds());
        if (steady.records() == 0) {
            return String.format(Locale.ROOT, "steady latency at %6d/s (after %d s warm-up): no records in the window%s", rate, o.warmupSeconds, late);
        }
        return String.format(Locale.ROOT, "steady latency at %6d/s (after %d s warm-up, %d records): p50 %d ms, p99 %d ms, max %d ms "
                        + "(LogAppendTime - kernel timestamp)%s", rate, o.warmupSeconds, steady.records(), steady.quantileMs(0.50),
                steady.quantileMs(0.99), steady.maxMs(), late);
    }

    /**
     * The highest rate delivered with nothing lost: first the generator flat out (which on this machine may be the
     * limit itself), then bisection between the last rate that passed and the first that failed.
     */
    /** Every run of the warm producer at 10k/s or more, for the spread of its CPU per record. */
    private final List<Step> warmWindows = new ArrayList<>();

    private Step search(MqTapProcess p) throws Exception {
        long stepMs = o.stepSeconds * 1000L;
        Step top = step(p, o.maxRate, stepMs);
        say("search %s", top.line());
        if (top.pass()) return top;
        Step good = null;
        long lo = 0;
        long hi = Math.round(top.achieved());
        long probe = Math.max(1_000, hi / 4);
        // a lower bound first: a quarter of the flat-out rate
        for (int i = 0; i < 3 && good == null; i++) {
            Step s = step(p, probe, stepMs);
            say("search %s", s.line());
            if (s.pass()) {
                good = s;
                lo = Math.round(s.achieved());
            } else {
                hi = probe;
                probe = Math.max(500, probe / 4);
            }
        }
        if (good == null) return null;
        for (int i = 0; i < o.bisections && hi > lo * 1.08; i++) {
            long mid = (lo + hi) / 2;
            Step s = step(p, mid, stepMs);
            say("search %s", s.line());
            if (s.pass() && s.achieved() >= 0.95 * mid) {
                good = s;
                lo = Math.round(s.achieved());
            } else {
                hi = mid;
            }
        }
        return good;
    }

    /** The CPU window: a longer run at the rate found, on the warm producer; also confirms it is lossless. */
    private Step confirm(MqTapProcess p, Step best) throws Exception {
        long rate = best.requested() == 0 ? Math.round(best.achieved()) : best.requested();
        Step s = step(p, best.requested() == 0 ? 0 : rate, o.cpuSeconds * 1000L);
        say("confirm %s", s.line());
        if (!s.pass() && best.requested() != 0) {
            // one step down: the machine is shared, and a single unlucky window should not decide the figure
            s = step(p, Math.round(rate * 0.9), o.cpuSeconds * 1000L);
            say("confirm %s", s.line());
        }
        return s;
    }

    /**
     * One generator run of durationMs at rate calls/s (0: flat out). Passes when every call was captured and
     * published within the drain allowance after the generator stopped, and nothing was lost, dropped or failed.
     */
    private Step step(MqTapProcess p, long rate, long durationMs) throws Exception {
        awaitQuiet(p, Duration.ofSeconds(30));
        MqTapProcess.Snapshot before = p.metrics();
        long offset0 = endOffset();
        double c0 = ProcStat.cpuSeconds(p.pid());
        long t0 = System.nanoTime();
        Instant start = Instant.now();
        MqOpenGenerator.Result g = MqOpenGenerator.run(new MqOpenGenerator.Options(0, rate, durationMs, queueName, false));
        long genEnd = System.nanoTime();
        long drainDeadline = genEnd + Math.max(1_000, durationMs / 5) * 1_000_000L;
        // the window ends when the broker holds every call; watched on the broker, because each GET /metrics costs the
        // producer a copy and sort of its 60 s latency window (up to millions of values), which would count as mqtap's CPU
        while (endOffset() - offset0 < g.calls() && System.nanoTime() < drainDeadline) Thread.sleep(10);
        long t1 = System.nanoTime();
        double c1 = ProcStat.cpuSeconds(p.pid());
        // then the producer's own counts (acknowledgements may trail the broker's log by a moment)
        MqTapProcess.Snapshot after = p.metrics();
        long ackDeadline = System.nanoTime() + 2_000_000_000L;
        while (after.published() + after.failed() + after.dropped() < after.captured() && System.nanoTime() < ackDeadline) {
            Thread.sleep(100);
            after = p.metrics();
        }
        long inKafka = endOffset() - offset0;
        long captured = after.captured() - before.captured();
        long published = after.published() - before.published();
        long lostKernel = after.lostKernel() - before.lostKernel();
        long dropped = after.dropped() - before.dropped();
        long failed = after.failed() - before.failed();
        boolean onTime = t1 <= drainDeadline;
        boolean pass = onTime && lostKernel == 0 && dropped == 0 && failed == 0 && captured == g.calls()
                && published == g.calls() && inKafka == g.calls();
        Step s = new Step(rate, g.calls(), g.callsPerSec(), captured, published, lostKernel, dropped, failed, c1 - c0,
                (t1 - t0) / 1e9, (t1 - genEnd) / 1e9, pass, offset0, ChronoUnit.MICROS.between(Instant.EPOCH, start));
        if (p.label.startsWith("50k") && g.callsPerSec() >= 10_000) warmWindows.add(s);
        return s;
    }

    /** The log end offset of mqtap's topic (one partition): records the broker holds. */
    private long endOffset() throws Exception {
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        return admin().listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(10, TimeUnit.SECONDS).offset();
    }

    private Admin admin;

    private Admin admin() {
        if (admin == null) admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        return admin;
    }

    /** Waits until the previous run's backlog is gone (every captured record acknowledged or counted), so runs don't overlap. */
    private static void awaitQuiet(MqTapProcess p, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        MqTapProcess.Snapshot m;
        while (true) {
            m = p.metrics();
            boolean quiet = m.published() + m.failed() + m.dropped() >= m.captured() && m.inflight() == 0 && m.handoffDepth() == 0;
            if (quiet) return;
            if (System.nanoTime() > deadline) break;
            Thread.sleep(50);
        }
        say("still busy after %d s (captured %d, published %d, in flight %d, hand-off %d); going on", timeout.toSeconds(),
                m.captured(), m.published(), m.inflight(), m.handoffDepth());
    }

    /** The producer's stop line must agree with its metrics: captured == published, nothing lost anywhere. */
    private void reconcile(MqTapProcess p) throws IOException, InterruptedException {
        MqTapProcess.Snapshot m = p.metrics();
        ProducerProcess.StopLine s = p.stop();
        if (s == null) {
            say("%s: no stop line in %s; last lines:%n%s", p.label, p.log(), p.tail(20));
            return;
        }
        say("%s stopped: captured %d, published %d, failed %d, dropped %d, lost in kernel %d, last sequence %d "
                        + "(metrics before the stop: captured %d, published %d)%s", p.label, s.captured(), s.published(),
                s.failed(), s.dropped(), s.lostKernel(), s.lastSequence(), m.captured(), m.published(),
                s.captured() == s.published() && s.lastSequence() + 1 == s.captured() ? "" : "  MISMATCH");
    }

    // ---------------------------------------------------------------------------------------------------------

    private MqTapProcess startMqTap(String label) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        List<String> jvm = o.producerJvmOpts.stream().map(x -> x.replace("{label}", label)).toList();
        MqTapProcess p = MqTapProcess.start(label, work, producerClasspath, jvm, config());
        say("mqtap %s: pid %d, healthy after %.1f s", label, p.pid(), (System.nanoTime() - t0) / 1e9);
        return p;
    }

    /** The producer's config: defaults of producer/config.yml, this run's addresses, and a name filter for our queue. */
    private Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        Map<String, Object> kafka = new LinkedHashMap<>();
        kafka.put("bootstrapServers", bootstrap);
        kafka.put("topic", TOPIC);
        kafka.put("statsTopic", "mq-open-stats");
        kafka.put("partitions", 1);
        // one broker: the durability floor lowered for it
        kafka.put("minReplication", 1);
        kafka.put("minInsyncReplicas", 1);
        kafka.put("properties", new LinkedHashMap<String, Object>());
        c.put("kafka", kafka);
        c.put("schemaRegistry", new LinkedHashMap<>(Map.of("url", registryUrl)));
        Map<String, Object> capture = new LinkedHashMap<>();
        // only the generator's calls: other processes on this shared machine call mq_open too
        capture.put("filters", new LinkedHashMap<>(Map.of("namePrefix", NAME_PREFIX)));
        // one uid at the highest rate the pipeline takes: past the default per-user budget, which this bench does not measure
        capture.put("fairness", new LinkedHashMap<>(Map.of("enabled", false)));
        c.put("capture", capture);
        c.put("pipeline", new LinkedHashMap<>());
        c.put("spool", new LinkedHashMap<>(Map.of("dir", work.resolve("spool").toString())));
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("applicationConnectors", List.of(Map.of("type", "http", "bindHost", "127.0.0.1", "port", 0)));
        c.put("server", server);
        c.put("logging", Map.of("level", "INFO", "loggers", Map.of("org.apache.kafka", "WARN")));
        for (Map.Entry<String, String> e : o.sets.entrySet()) put(c, e.getKey(), e.getValue());
        return c;
    }

    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> c, String key, String value) {
        String[] path = key.startsWith("kafka.properties.")
                ? new String[] {"kafka", "properties", key.substring("kafka.properties.".length())}
                : key.split("\\.");
        Map<String, Object> m = c;
        for (int i = 0; i < path.length - 1; i++) {
            m = (Map<String, Object>) m.computeIfAbsent(path[i], k -> new LinkedHashMap<String, Object>());
        }
        m.put(path[path.length - 1], value);
    }

    /** Mean serialized key and value size of what mqtap wrote (from the broker, up to 20,000 records). */
    private double[] meanRecordSize() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long n = 0;
            long keys = 0;
            long values = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (n < Math.min(end, 20_000) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    n++;
                    keys += r.key() == null ? 0 : r.key().length;
                    values += r.value() == null ? 0 : r.value().length;
                }
            }
            if (n == 0) throw new IllegalStateException("no records on " + TOPIC + " to measure their size");
            return new double[] {keys / (double) n, values / (double) n, n};
        }
    }

    private void createTopic(String topic, Map<String, String> configs) throws Exception {
        // one partition, like mqtap's keyed records (one host's records all go to one partition)
        admin().createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(configs))).all().get(30, TimeUnit.SECONDS);
    }

    /** The broker as its own JVM with this JVM's classpath (testkit's broker; no Dropwizard on it). */
    private static Process startBroker(PipelineBench b) throws IOException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), BrokerMain.class.getName());
        Path log = b.work.resolve("broker.log");
        Process p = ChildProcesses.track(new ProcessBuilder(cmd).redirectError(log.toFile()).start());
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long t0 = System.nanoTime();
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("bootstrap=")) {
                b.bootstrap = line.substring("bootstrap=".length()).trim();
                say("broker ready after %.1f s", (System.nanoTime() - t0) / 1e9);
                return p;
            }
        }
        throw new IllegalStateException("the broker exited before it was ready; see " + log + ":\n"
                + (Files.exists(log) ? Files.readString(log) : ""));
    }

    static void say(String fmt, Object... args) {
        System.out.println("[" + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "] " + String.format(Locale.ROOT, fmt, args));
        System.out.flush();
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    static final class Options {
        boolean quick;
        long maxRate;
        int stepSeconds = 6;
        int cpuSeconds = 10;
        int latencySeconds = 30;
        int warmupSeconds = 10;
        int idleSeconds = 10;
        long settleMillis = 3_000;
        int bisections = 4;
        long ppFlatRecords = 1_000_000;
        int ppWarmupSeconds = 5;
        boolean flatOutReference = true;
        List<String> producerJvmOpts = new ArrayList<>();
        Map<String, String> sets = new LinkedHashMap<>();

        Map<String, String> kafkaProperties() {
            Map<String, String> m = new LinkedHashMap<>();
            sets.forEach((k, v) -> {
                if (k.startsWith("kafka.properties.")) m.put(k.substring("kafka.properties.".length()), v);
            });
            return m;
        }

        static ArgumentParser parser() {
            ArgumentParser p = BenchArgs.parser("pipeline",
                    "the generator, a Kafka broker and mqtap together: CPU per event against ProducerPerformance, the "
                    + "highest lossless rate, kernel-to-ack latency");
            p.addArgument("--quick").action(Arguments.storeTrue()).help("shorter phases (about 2 minutes instead of 3 to 5)");
            p.addArgument("--max-rate").metavar("N").type(Long.class)
                    .help("highest rate the search tries, calls/s (default: as fast as the generator goes)");
            p.addArgument("--step-seconds").metavar("S").type(Integer.class).help("length of a search step");
            p.addArgument("--cpu-seconds").metavar("S").type(Integer.class).help("length of the CPU window");
            p.addArgument("--latency-seconds").metavar("S").type(Integer.class).help("length of each latency run's measured window");
            p.addArgument("--warmup-seconds").metavar("S").type(Integer.class)
                    .help("seconds each latency run goes at its rate before the measured window (the steady latency leaves them out)");
            p.addArgument("--idle-seconds").metavar("S").type(Integer.class).help("length of the idle window");
            p.addArgument("--bisections").metavar("N").type(Integer.class).help("bisection steps of the rate search");
            p.addArgument("--no-flat-out-reference").dest("flat_out_reference").action(Arguments.storeFalse())
                    .help("skip ProducerPerformance's flat-out reference run");
            p.addArgument("--producer-jvm-opts").metavar("\"...\"")
                    .help("JVM options of the mqtap processes; {label} becomes the process's label, e.g. "
                          + "\"-XX:StartFlightRecording=filename=/tmp/mqtap-{label}.jfr,settings=profile,dumponexit=true\"");
            p.addArgument("--set").metavar("key=value").action(Arguments.append())
                    .help("a producer config override, e.g. --set kafka.properties.linger.ms=20 or --set "
                          + "capture.transport=ring-buffer (also given to ProducerPerformance when it is a kafka.properties.* key)");
            return p;
        }

        static Options parse(String[] args) {
            Namespace ns = parser().parseArgsOrFail(args);
            Options o = new Options();
            if (ns.getBoolean("quick")) {
                o.quick = true;
                o.stepSeconds = 3;
                o.cpuSeconds = 5;
                o.latencySeconds = 5;
                o.warmupSeconds = 5;
                o.idleSeconds = 5;
                o.bisections = 2;
                o.ppFlatRecords = 300_000;
                o.ppWarmupSeconds = 3;
            }
            // an option given explicitly wins over --quick's value
            if (ns.get("max_rate") != null) o.maxRate = ns.getLong("max_rate");
            if (ns.get("step_seconds") != null) o.stepSeconds = ns.getInt("step_seconds");
            if (ns.get("cpu_seconds") != null) o.cpuSeconds = ns.getInt("cpu_seconds");
            if (ns.get("latency_seconds") != null) o.latencySeconds = ns.getInt("latency_seconds");
            if (ns.get("warmup_seconds") != null) o.warmupSeconds = ns.getInt("warmup_seconds");
            if (ns.get("idle_seconds") != null) o.idleSeconds = ns.getInt("idle_seconds");
            if (ns.get("bisections") != null) o.bisections = ns.getInt("bisections");
            o.flatOutReference = ns.getBoolean("flat_out_reference");
            if (ns.getString("producer_jvm_opts") != null)
                o.producerJvmOpts = List.of(ns.getString("producer_jvm_opts").trim().split("\\s+"));
            List<String> sets = ns.getList("set");
            for (String kv : sets == null ? List.<String>of() : sets) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("--set wants key=value, got " + kv);
                o.sets.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            return o;
        }
    }
}
