package io.mqtap.bench.fleet;

import io.mqtap.bench.BenchArgs;
import io.mqtap.producer.config.KafkaFactory;
import io.mqtap.producer.config.SchemaRegistryFactory;
import io.mqtap.testkit.kafka.KafkaCluster;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.sourceforge.argparse4j.inf.ArgumentParser;
import net.sourceforge.argparse4j.inf.Namespace;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * {@code ./mqtap bench fleet}: what a fleet costs one Kafka cluster and registry. A 3-node KRaft cluster (own JVMs,
 * 127.0.0.1, replication 3, min.insync.replicas 2), a registry, and N simulated hosts in this JVM, each with mqtap's
 * own publishing path (spool, publisher, producer settings, registry client), fed at a fleet's rates; then a restart
 * storm (every host restarts within a few seconds). Measured per host from the clients' own metrics; every record
 * checked against what Kafka holds (per machine id, run id and sequence). Last line: the fleet line.
 */
public final class FleetBench {
    private static final String TOPIC = "mq-open-events";
    private static final String STATS_TOPIC = "mq-open-stats";
    private static final int WARMUP_SECONDS = 10;

    private FleetBench() {}

    public static void main(String[] args) throws Exception {
        ArgumentParser p = BenchArgs.parser("fleet", "N simulated hosts publishing to a 3-node cluster and a registry; a restart storm");
        p.addArgument("--hosts").type(Integer.class).setDefault(500).help("simulated hosts (default 500)");
        p.addArgument("--seconds").type(Integer.class).setDefault(60).help("steady-state measurement, seconds (default 60)");
        p.addArgument("--storm-seconds").type(Integer.class).setDefault(10).help("every host restarts within this many seconds (default 10)");
        p.addArgument("--partitions").type(Integer.class).setDefault(12).help("partitions of the events topic (default 12)");
        p.addArgument("--brokers").type(Integer.class).setDefault(3).help("KRaft nodes, each its own JVM (default 3)");
        p.addArgument("--seed").type(Long.class).setDefault(1L).help("seed of the per-host rates and restart times");
        p.addArgument("--variant").action(net.sourceforge.argparse4j.impl.Arguments.append()).metavar("NAME:KEY=VALUE,...")
                .help("a variant of the producer settings (kafka.properties overrides, e.g. l50:linger.ms=50,compression.type=zstd); "
                        + "hosts are dealt round-robin to the variants, the first is the baseline the others are compared with "
                        + "(default: one variant, the producer's own settings)");
        p.addArgument("--add-partitions-at").type(Integer.class).setDefault(-1).metavar("SECONDS")
                .help("add partitions to the events topic this many seconds into the steady window (default: never)");
        p.addArgument("--to").type(Integer.class).metavar("N").help("the events topic's partitions after --add-partitions-at (default: twice --partitions)");
        p.addArgument("--start-jitter-ms").type(Long.class).setDefault(new SchemaRegistryFactory().getStartJitter().toMilliseconds())
                .help("schemaRegistry.startJitter of every host, ms (default: the producer's)");
        p.addArgument("--downstream").action(net.sourceforge.argparse4j.impl.Arguments.storeTrue())
                .help("also run the Streams app x2 and the Iceberg sink on 2 distributed Connect workers, kill one of each mid-run, check them (FleetDownstream)");
        FleetQuota.addArguments(p);
        Namespace ns = p.parseArgsOrFail(args);
        if (ns.getBoolean("downstream") && ns.getInt("brokers") < 3) {
            // the shipped Streams and Connect configs replicate their topics 3 times: they would fail later, unclearly
            p.handleError(new net.sourceforge.argparse4j.inf.ArgumentParserException("--downstream needs --brokers 3 or more "
                    + "(the shipped Streams and Connect configs replicate their topics 3 times); got --brokers " + ns.getInt("brokers"), p));
            System.exit(2);
        }
        run(ns.getInt("hosts"), ns.getInt("seconds"), ns.getInt("storm_seconds"), ns.getInt("partitions"), ns.getInt("brokers"),
                ns.getLong("seed"), ns.getLong("start_jitter_ms"), Variant.parseAll(ns.getList("variant")), ns.getBoolean("downstream"),
                ns.getInt("add_partitions_at"), ns.getInt("to") == null ? 2 * ns.getInt("partitions") : ns.getInt("to"),
                FleetQuota.of(ns, ns.getInt("hosts"), WARMUP_SECONDS));
    }

    /** A variant of the producer settings: a name and the kafka.properties it overrides. */
    record Variant(String name, Map<String, String> overrides) {
        static List<Variant> parseAll(List<Object> specs) {
            if (specs == null || specs.isEmpty()) return List.of(new Variant("default", Map.of()));
            List<Variant> out = new ArrayList<>();
            for (Object o : specs) {
                String spec = o.toString();
                int colon = spec.indexOf(':');
                if (colon <= 0) throw new IllegalArgumentException("--variant " + spec + ": want NAME:KEY=VALUE,... (NAME: for none)");
                Map<String, String> kv = new java.util.LinkedHashMap<>();
                for (String pair : spec.substring(colon + 1).split(",")) {
                    if (pair.isBlank()) continue;
                    int eq = pair.indexOf('=');
                    if (eq <= 0) throw new IllegalArgumentException("--variant " + spec + ": '" + pair + "' is not KEY=VALUE");
                    kv.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
                }
                out.add(new Variant(spec.substring(0, colon), kv));
            }
            return out;
        }
    }

    static void run(int n, int seconds, int stormSeconds, int partitions, int brokers, long seed, long jitterMillis,
                    List<Variant> variants, boolean withDownstream, int growAt, int growTo, FleetQuota quota) throws Exception {
        if (growAt >= 0 && (growAt >= seconds || growTo <= partitions))
            throw new IllegalArgumentException("--add-partitions-at must be inside --seconds and --to above --partitions");
        long t0 = System.nanoTime();
        Path dir = Files.createTempDirectory("mqtap-fleet-");
        HostRates rates = HostRates.FLEET;
        say("%d hosts, about %.0f events/s in all; %d-node cluster, %d partitions; steady %d s, then a restart storm within %d s",
                n, rates.fleetAverage(n), brokers, partitions, seconds, stormSeconds);
        try (KafkaCluster cluster = KafkaCluster.start(dir.resolve("cluster"), brokers, System.getProperty("java.class.path"));
             SchemaRegistryServer registry = SchemaRegistryServer.start()) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic(TOPIC, partitions, (short) brokers), new NewTopic(STATS_TOPIC, 1, (short) brokers)))
                        .all().get(60, TimeUnit.SECONDS);
                quota.apply(admin);
            }
            FleetDownstream downstream = withDownstream ? FleetDownstream.start(cluster, registry, TOPIC, brokers, dir) : null;
            try {
            KafkaFactory kafka = new KafkaFactory();
            kafka.setBootstrapServers(cluster.bootstrapServers());
            kafka.setTopic(TOPIC);
            kafka.setStatsTopic(STATS_TOPIC);
            SchemaRegistryFactory schemas = new SchemaRegistryFactory();
            schemas.setUrl(registry.url());
            schemas.setStartJitter(io.dropwizard.util.Duration.milliseconds(jitterMillis));
            // a fleet's CI/CD registers the schemas once (mqtap register-schemas); the hosts only look them up
            io.mqtap.producer.MqTapConfiguration fleetConfig = new io.mqtap.producer.MqTapConfiguration();
            fleetConfig.setKafka(kafka);
            fleetConfig.setSchemaRegistry(schemas);
            io.mqtap.producer.cli.RegisterSchemasCommand.register(fleetConfig);
            List<KafkaFactory> kafkaOf = new ArrayList<>();
            for (Variant v : variants) {
                KafkaFactory k = new KafkaFactory();
                k.setBootstrapServers(cluster.bootstrapServers());
                k.setTopic(TOPIC);
                k.setStatsTopic(STATS_TOPIC);
                Map<String, String> props = new java.util.LinkedHashMap<>(v.overrides());
                // a host sees added partitions within its metadata age (5 minutes by default): 5 s here, inside the bench
                if (growAt >= 0) props.putIfAbsent("metadata.max.age.ms", "5000");
                k.setProperties(props);
                kafkaOf.add(k);
            }
            // each kind of host (idle, steady, busy, burster) dealt round-robin to the variants, so they compare like with like
            int[] dealt = new int[4];
            int[][] mix = new int[variants.size()][4];
            int[] variantOf = new int[n];
            List<FleetHost> hosts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int kind = rates.kindOf(seed, i);
                variantOf[i] = dealt[kind]++ % variants.size();
                mix[variantOf[i]][kind]++;
                hosts.add(new FleetHost(i, variantOf[i], dir.resolve("spool-" + i), kafkaOf.get(variantOf[i]), schemas));
            }
            for (int g = 0; g < variants.size(); g++) {
                say("variant %s %s: %d idle, %d steady, %d busy, %d bursting hosts", variants.get(g).name(), variants.get(g).overrides(),
                        mix[g][0], mix[g][1], mix[g][2], mix[g][3]);
            }
            ExecutorService pool = Executors.newFixedThreadPool(16);
            each(pool, hosts, FleetHost::start);
            say("started %d hosts in %d s", n, secondsSince(t0));

            FleetReadBack readBack = new FleetReadBack(cluster.bootstrapServers(), registry.url(), TOPIC, variants.size(),
                    machineId -> variantOf[FleetHost.indexOf(machineId)]);
            Thread reader = new Thread(readBack, "fleet-read-back");
            reader.start();
            if (quota.active()) {
                readBack.mark(quota.runawayIds(hosts));
                quota.watch(hosts);
            }
            ScheduledExecutorService feeder = Executors.newSingleThreadScheduledExecutor();
            long feedStart = System.nanoTime();
            feeder.scheduleAtFixedRate(() -> {
                long second = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - feedStart);
                for (int i = 0; i < hosts.size(); i++) {
                    try {
                        hosts.get(i).feed(quota.rate(i, second, rates.rate(seed, i, second)), 0.1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    } catch (RuntimeException | Error e) { // would cancel the feeder silently
                        say("feeding host %d failed: %s", i, e);
                        e.printStackTrace();
                        throw e;
                    }
                }
            }, 0, 100, TimeUnit.MILLISECONDS);

            Thread.sleep(WARMUP_SECONDS * 1000L); // producers connected, metadata fetched, schemas registered, batches flowing
            long startCalls = hosts.stream().mapToLong(FleetHost::registryCalls).sum();
            say("%d registry calls at the fleet's start (%.2f per host)", startCalls, (double) startCalls / n);
            double req0 = sum(hosts, "request-total"), bytes0 = sum(hosts, "outgoing-byte-total"), sent0 = sum(hosts, "record-send-total");
            VariantTotals[] v0 = VariantTotals.of(hosts, variants.size());
            long m0 = System.nanoTime();
            long m0Ms = System.currentTimeMillis();
            readBack.steadyWindow(m0Ms, m0Ms + seconds * 1000L);
            // inside the steady window: the partition growth (--add-partitions-at) and, with --downstream, one kill of each engine half-way
            if (downstream != null) downstream.phase("steady");
            long steadyMs = seconds * 1000L, atMs = 0, killAtMs = downstream == null ? -1 : steadyMs / 2;
            boolean grown = growAt < 0;
            while (!grown || killAtMs >= 0) {
                boolean growNext = !grown && (killAtMs < 0 || growAt * 1000L <= killAtMs);
                long nextMs = growNext ? growAt * 1000L : killAtMs;
                Thread.sleep(Math.max(0, nextMs - atMs));
                atMs = nextMs;
                if (growNext) {
                    try (Admin admin = cluster.admin()) {
                        admin.createPartitions(Map.of(TOPIC, org.apache.kafka.clients.admin.NewPartitions.increaseTo(growTo)))
                                .all().get(60, TimeUnit.SECONDS);
                    }
                    say("added partitions to %s: %d -> %d, %d s into the steady window", TOPIC, partitions, growTo, growAt);
                    grown = true;
                } else {
                    downstream.killOneOfEach(10);
                    killAtMs = -1;
                }
            }
            Thread.sleep(Math.max(0, steadyMs - atMs));
            if (downstream != null) downstream.phase("storm");
            double secs = (System.nanoTime() - m0) / 1e9;
            VariantTotals[] v1 = VariantTotals.of(hosts, variants.size());
            double req = (sum(hosts, "request-total") - req0) / secs / n, bytes = (sum(hosts, "outgoing-byte-total") - bytes0) / secs / n;
            double recs = (sum(hosts, "record-send-total") - sent0) / secs;
            double connections = sum(hosts, "connection-count") / n;
            say("steady: %.3f produce requests/s per host, %.0f bytes/s per host, %.0f records/s in all, %.2f connections per host",
                    req, bytes, recs, connections);

            long before = hosts.stream().mapToLong(FleetHost::registryCalls).sum();
            quota.stormStarts();
            Random jitter = new Random(seed);
            long stormStart = System.nanoTime();
            List<Future<?>> restarts = new ArrayList<>();
            ScheduledExecutorService storm = Executors.newScheduledThreadPool(16);
            for (FleetHost h : hosts) {
                restarts.add(storm.schedule(() -> {
                    h.stop(Duration.ofSeconds(60));
                    h.start();
                    return null;
                }, jitter.nextInt(stormSeconds * 1000), TimeUnit.MILLISECONDS));
            }
            for (Future<?> f : restarts) f.get(5, TimeUnit.MINUTES);
            storm.shutdown();
            say("restart storm: every host restarted in %d s", secondsSince(stormStart));
            Thread.sleep(10_000 + jitterMillis); // the fleet after the storm: every publisher has waited its jitter and resolved its ids
            long stormCalls = hosts.stream().mapToLong(FleetHost::registryCalls).sum() - before;
            say("%d registry calls in the storm (%.2f per host)", stormCalls, (double) stormCalls / n);
            if (downstream != null) {
                // the hosts go on until the kill's and the storm's minutes have closed in event time (their end + the grace)
                downstream.phase("tail");
                Thread.sleep(downstream.tail().toMillis());
            }
            feeder.shutdown();
            feeder.awaitTermination(30, TimeUnit.SECONDS);
            each(pool, hosts, h -> h.stop(Duration.ofSeconds(60)));
            pool.shutdown();

            long made = 0, lost = 0, incomplete = 0;
            // a runaway's backlog drains at its quota: give it minutes
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(quota.active() ? 420 : 120);
            while (true) {
                made = 0;
                lost = 0;
                incomplete = 0;
                for (FleetHost h : hosts) {
                    for (Map.Entry<String, Long> run : h.madePerRun().entrySet()) {
                        long got = readBack.distinct(h.machineId(), run.getKey());
                        made += run.getValue();
                        lost += Math.max(0, run.getValue() - got);
                        if (got < run.getValue()) incomplete++;
                    }
                }
                if (lost == 0 && incomplete == 0 || System.nanoTime() > deadline) break;
                Thread.sleep(500);
            }
            quota.stop();
            readBack.close();
            reader.join(10_000);
            readBack.closeConsumer();
            int producerIds = hosts.stream().mapToInt(FleetHost::producersCreated).sum();
            say("read back %d records (%d duplicates, %d unreadable) of %d made; %d runs incomplete; %d idempotent producers (producer ids)",
                    readBack.records(), readBack.duplicates(), readBack.unreadable(), made, incomplete, producerIds);
            say("took %d s", secondsSince(t0));
            // each variant against the first, measured side by side in the same window, on the same machine and load
            for (int g = 0; g < variants.size(); g++) {
                VariantTotals d = v1[g].minus(v0[g]), base = v1[0].minus(v0[0]);
                System.out.printf("fleet-variant name=%s settings=%s hosts=%d requests-per-host-per-sec=%.3f bytes-per-record=%.1f "
                                + "bytes-per-host-per-sec=%.0f cpu-us-per-record=%.1f steady-p50-ms=%d steady-p99-ms=%d "
                                + "requests-ratio=%.2f bytes-per-record-ratio=%.2f cpu-ratio=%.2f%n",
                        variants.get(g).name(), variants.get(g).overrides().isEmpty() ? "-" : variants.get(g).overrides(), d.hosts,
                        d.requests / secs / d.hosts, d.bytes / d.records, d.bytes / secs / d.hosts, d.cpuNanos / 1e3 / d.records,
                        readBack.steadyQuantile(g, 0.50), readBack.steadyQuantile(g, 0.99),
                        (d.requests / d.hosts) / (base.requests / base.hosts), (d.bytes / d.records) / (base.bytes / base.records),
                        (d.cpuNanos / d.records) / (base.cpuNanos / base.records));
            }
            if (quota.active()) {
                long runawayMade = 0, runawayLost = 0;
                for (int i = 0; i < n && quota.runaway(i); i++) {
                    for (Map.Entry<String, Long> run : hosts.get(i).madePerRun().entrySet()) {
                        runawayMade += run.getValue();
                        runawayLost += Math.max(0, run.getValue() - readBack.distinct(hosts.get(i).machineId(), run.getKey()));
                    }
                }
                if (quota.lastUnhealthy() != null) say("a runaway's Kafka health check last said: %s", quota.lastUnhealthy());
                System.out.println(quota.line(hosts, readBack, runawayMade, runawayLost));
            }
            System.out.printf("fleet hosts=%d brokers=%d events=%d lost=%d duplicates=%d requests-per-host-per-sec=%.3f "
                            + "bytes-per-host-per-sec=%.0f registry-calls-per-host-start=%.2f registry-calls-per-host-restart=%.2f "
                            + "p50-ms=%d p99-ms=%d connections-per-host=%.2f producer-ids=%d%n",
                    n, brokers, made, lost, readBack.duplicates(), req, bytes, (double) startCalls / n, (double) stormCalls / n,
                    readBack.latencyQuantile(0.50), readBack.latencyQuantile(0.99), connections, producerIds);
            if (growAt >= 0) {
                // (the Streams app runs only with --downstream) the read-back is a reader in partition order, as the completeness
                // monitor's input is, and a run overtaken there (a later sequence before an earlier one) is a gap it would open
                long[][] o = readBack.order(variants.size(), partitions);
                for (int g = 0; g < variants.size(); g++) {
                    System.out.printf("fleet-partitions variant=%s from=%d to=%d at-s=%d runs=%d runs-moved-mid-run=%d runs-overtaken=%d "
                                    + "runs-on-added-partitions=%d%n", variants.get(g).name(), partitions, growTo, growAt,
                            o[g][0], o[g][1], o[g][2], o[g][3]);
                }
            }
            if (downstream != null) System.out.println(downstream.check(hosts, Duration.ofSeconds(240)));
            } finally {
                if (downstream != null) downstream.close();
            }
        } finally {
            deleteTree(dir);
        }
    }

    /** One variant's producer totals at one moment: requests, bytes, records sent, and its hosts' producer threads' CPU. */
    private record VariantTotals(int hosts, double requests, double bytes, double records, double cpuNanos) {
        static VariantTotals[] of(List<FleetHost> hosts, int variants) {
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            Map<String, Long> threadIds = new java.util.HashMap<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) threadIds.put(t.getName(), t.getId());
            int[] count = new int[variants];
            double[] req = new double[variants], bytes = new double[variants], recs = new double[variants], cpu = new double[variants];
            for (FleetHost h : hosts) {
                int g = h.variant;
                count[g]++;
                req[g] += h.total("request-total");
                bytes[g] += h.total("outgoing-byte-total");
                recs[g] += h.total("record-send-total");
                for (String name : h.threadNames()) {
                    Long id = threadIds.get(name);
                    long c = id == null ? -1 : mx.getThreadCpuTime(id);
                    if (c > 0) cpu[g] += c;
                }
            }
            VariantTotals[] out = new VariantTotals[variants];
            for (int g = 0; g < variants; g++) out[g] = new VariantTotals(count[g], req[g], bytes[g], recs[g], cpu[g]);
            return out;
        }

        VariantTotals minus(VariantTotals o) {
            return new VariantTotals(hosts, requests - o.requests, bytes - o.bytes, records - o.records, cpuNanos - o.cpuNanos);
        }
    }

    private interface HostStep {
        void run(FleetHost h) throws Exception;
    }

    private static void each(ExecutorService pool, List<FleetHost> hosts, HostStep step) throws Exception {
        List<Future<?>> fs = new ArrayList<>();
        for (FleetHost h : hosts) fs.add(pool.submit(() -> {
            step.run(h);
            return null;
        }));
        for (Future<?> f : fs) f.get(5, TimeUnit.MINUTES);
    }

    private static double sum(List<FleetHost> hosts, String metric) {
        return hosts.stream().mapToDouble(h -> h.total(metric)).sum();
    }

    private static long secondsSince(long t0) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
    }

    private static void say(String format, Object... args) {
        System.err.printf("fleet: " + format + "%n", args);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
