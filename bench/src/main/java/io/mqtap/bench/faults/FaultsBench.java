package io.mqtap.bench.faults;

import io.mqtap.bench.BenchArgs;
import io.mqtap.testkit.kafka.KafkaCluster;
import io.mqtap.testkit.process.ChildProcesses;
import io.mqtap.testkit.process.ProcStat;
import io.mqtap.testkit.process.ProducerClasspath;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.ArgumentParser;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * {@code ./mqtap bench faults}: each scenario ({@link FaultScenarios}) breaks something while tagged generators make
 * calls, then reconciles the calls made against the records Kafka holds, distinct by the dedup key, and against what
 * mqtap itself counted as lost ({@link Reconciliation}). A 3-node KRaft cluster (replication 3, min.insync.replicas 2),
 * the registry and every producer are separate processes on 127.0.0.1, each ended by its own PID. One line per scenario:
 * <pre>
 * scenario=&lt;name&gt; calls=&lt;N&gt; unique=&lt;N&gt; duplicates=&lt;N&gt; lost=&lt;calls-unique&gt; counted-lost=&lt;N&gt; outage-s=&lt;N&gt; result=pass|fail|info
 * faults: scenarios=&lt;N&gt; passed=&lt;N&gt; lost=&lt;N&gt; unexplained=&lt;sum of lost minus counted-lost&gt; duplicated=&lt;N&gt;
 * </pre>
 * The producer restarts run with {@code capture.pinPath}, then once more with the perf buffer as informational rows,
 * which add {@code blind-window-calls} and {@code missing-ranges} and count in none of the summary's figures.
 */
public final class FaultsBench {
    private FaultsBench() {}

    public static void main(String[] args) throws Exception {
        ArgumentParser parser = BenchArgs.parser("faults", "failure scenarios on a 3-node cluster, each reconciled against the generators' tagged calls");
        parser.addArgument("--rate").metavar("N").type(Integer.class).setDefault(3_000).help("calls/s under load (default 3000)");
        parser.addArgument("--high-rate").metavar("N").type(Integer.class).setDefault(20_000)
                .help("calls/s of the producer SIGKILL/SIGTERM under load scenarios (default 20000)");
        parser.addArgument("--outage-s").metavar("S").type(Long.class).setDefault(600L)
                .help("broker-outage-long: seconds every broker is down (default 600)");
        parser.addArgument("--registry-down-s").metavar("S").type(Long.class).setDefault(300L)
                .help("registry-down-at-start-long: seconds the registry is down from the start (default 300)");
        parser.addArgument("--quick").action(Arguments.storeTrue())
                .help("a smoke run: 60 s broker outage, 30 s registry outage, 20 s spool/disk-full outages");
        parser.addArgument("--only").metavar("SCENARIO").action(Arguments.append()).setDefault(new ArrayList<String>())
                .help("run only this scenario (repeatable)");
        Namespace ns = parser.parseArgsOrFail(args);
        boolean quick = ns.getBoolean("quick");
        List<String> only = ns.getList("only");
        FaultScenarios.Durations d = quick ? new FaultScenarios.Durations(60, 30, 20)
                : new FaultScenarios.Durations(ns.getLong("outage_s"), ns.getLong("registry_down_s"), 60);
        List<FaultScenario> scenarios = FaultScenarios.all(d);
        for (String o : only) {
            if (scenarios.stream().noneMatch(s -> s.name().equals(o))) {
                System.err.println("no scenario " + o + "; there are: " + scenarios.stream().map(FaultScenario::name).toList());
                System.exit(2);
            }
        }
        Path root = Path.of(System.getProperty("mqtap.root", ".")).toAbsolutePath().normalize();
        Path work = Files.createTempDirectory("mqtap-faults-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> removeAll(work), "faults-cleanup"));
        long t0 = System.nanoTime();
        List<Reconciliation.Line> lines = new ArrayList<>();
        List<FaultScenario> ran = new ArrayList<>();
        say("load average at start: %s", ProcStat.loadAverage());
        try (KafkaCluster cluster = KafkaCluster.start(work.resolve("kafka"), 3, System.getProperty("java.class.path"));
             SchemaRegistryServer registry = SchemaRegistryServer.start()) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    cluster.killAll(); // by their PIDs, also when this JVM is stopped with SIGTERM or Ctrl-C
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "faults-cluster-stop"));
            String prefix = "mqtap-fault-" + UUID.randomUUID().toString().substring(0, 8) + "-";
            Faults f = new Faults(cluster, registry, work, ProducerClasspath.of(root), ns.getInt("rate"), ns.getInt("high_rate"), prefix);
            f.createTopics();
            Reconciliation rec = new Reconciliation(cluster.bootstrapServers());
            say("cluster %s (pids %s), registry %s (pid %d), rate %d/s, high rate %d/s%s", cluster.bootstrapServers(),
                    cluster.nodes().stream().map(n -> Long.toString(n.pid())).toList(), registry.url(), registry.pid(), f.rate, f.highRate,
                    quick ? ", quick" : "");
            for (FaultScenario s : scenarios) {
                if (!only.isEmpty() && !only.contains(s.name())) continue;
                say("== %s", s.name());
                long s0 = System.nanoTime();
                long from = rec.endOffset();
                Reconciliation.Line line;
                try {
                    FaultScenario.Outcome o = s.body().run(f, s.name());
                    line = rec.reconcile(s, o, from);
                    say("%s: %s; runs %s%s", s.name(), o.note(), o.runIds(), line.rereads() > 0
                            ? "; " + line.rereads() + " calls are in Kafka under two dedup keys (read twice from the kernel)" : "");
                } catch (Exception e) {
                    say("%s failed: %s", s.name(), e);
                    e.printStackTrace(System.out);
                    line = new Reconciliation.Line(s.name(), 0, 0, 0, 0, 0, 0, 0, "fail");
                    f.cleanUp();
                    for (var n : cluster.nodes()) if (n.alive()) n.resume();
                    cluster.restartAll();
                    if (!registry.isRunning()) {
                        registry.restart();
                        f.registerSchemas(s.name());
                    }
                } finally {
                    f.cleanUp();
                }
                f.trim();
                say("%s done in %.0f s, load average %s", s.name(), (System.nanoTime() - s0) / 1e9, ProcStat.loadAverage());
                System.out.println(line.text(s.info()));
                lines.add(line);
                ran.add(s);
            }
        } finally {
            ChildProcesses.stopAll();
        }
        System.out.println();
        long lost = 0;
        long unexplained = 0;
        long dup = 0;
        int passed = 0;
        int counted = 0;
        for (int i = 0; i < lines.size(); i++) {
            Reconciliation.Line l = lines.get(i);
            System.out.println(l.text(ran.get(i).info()));
            if (ran.get(i).info()) continue;
            counted++;
            lost += l.lost();
            unexplained += l.lost() - l.countedLost();
            dup += l.duplicates();
            if (l.result().equals("pass")) passed++;
        }
        System.out.printf(Locale.ROOT, "faults: scenarios=%d passed=%d lost=%d unexplained=%d duplicated=%d%n", counted, passed, lost,
                unexplained, dup);
        say("the bench took %.1f min; load average at the end: %s", (System.nanoTime() - t0) / 60e9, ProcStat.loadAverage());
        if (passed < counted) System.exit(1);
    }

    private static void removeAll(Path work) {
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
