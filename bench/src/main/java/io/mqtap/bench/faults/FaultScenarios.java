package io.mqtap.bench.faults;

import io.mqtap.bench.faults.FaultScenario.Outcome;
import io.mqtap.bench.faults.Faults.Generator;
import io.mqtap.bench.faults.Faults.Producer;
import io.mqtap.testkit.kafka.KafkaBrokerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The scenarios of {@code ./mqtap bench faults}, in the order they run: one entry each (a name, whether a counted drop
 * is its point, whether it is informational, and its body). A new scenario is one more entry here. The producer
 * restarts capture with the pinned ring buffer ({@code capture.pinPath}): the programs keep capturing while no mqtap
 * runs and the ring is consumed only as far as the spool holds, so every restart, SIGKILL included, must lose nothing;
 * each runs once more with the perf buffer as an informational row, its loss the restart's blind window in calls.
 */
final class FaultScenarios {
    private FaultScenarios() {}

    /** Durations a quick run shortens (the figures are the defaults). */
    record Durations(long outageLongSeconds, long registryDownSeconds, long shortOutageSeconds) {}

    static List<FaultScenario> all(Durations d) {
        List<FaultScenario> s = new ArrayList<>();
        s.add(new FaultScenario("broker-outage-long", false, false, (f, tag) -> brokerOutage(f, tag, d.outageLongSeconds())));
        s.add(new FaultScenario("brokers-sigkill-20s", false, false, (f, tag) -> brokerOutage(f, tag, 20)));
        s.add(new FaultScenario("leader-failover", false, false, FaultScenarios::leaderFailover));
        s.add(new FaultScenario("brokers-paused", false, false, FaultScenarios::brokersPaused));
        s.add(new FaultScenario("registry-down-at-start-long", false, false,
                (f, tag) -> registryDownAtStart(f, tag, d.registryDownSeconds())));
        s.add(new FaultScenario("registry-down-mid-run", false, false, FaultScenarios::registryDownMidRun));
        s.add(new FaultScenario("producer-restart", false, false, FaultScenarios::cleanRestart));
        s.add(new FaultScenario("spool-full", true, false, (f, tag) -> spoolFull(f, tag, d.shortOutageSeconds())));
        s.add(new FaultScenario("disk-full", true, false, (f, tag) -> diskFull(f, tag, d.shortOutageSeconds())));
        s.add(new FaultScenario("kernel-overflow", true, false, FaultScenarios::kernelOverflow));
        s.add(new FaultScenario("flood-fairness", true, false, FaultScenarios::floodFairness));
        // producer restarts with the pinned ring (capture.pinPath): the programs capture while no mqtap runs, lost=0
        s.add(new FaultScenario("producer-sigkill-under-load", false, false, ended((f, tag) -> restartUnderLoad(f, tag, true, true))));
        s.add(new FaultScenario("producer-sigkill-during-outage", false, false, ended((f, tag) -> sigkillDuringOutage(f, tag, true))));
        s.add(new FaultScenario("producer-sigterm-under-load", false, false, ended((f, tag) -> restartUnderLoad(f, tag, false, true))));
        s.add(new FaultScenario("restart-blind-window", false, false, ended((f, tag) -> blindWindow(f, tag, true))));
        // the same with the perf buffer (nothing pinned): informational, the blind window of each in calls
        s.add(new FaultScenario("producer-sigkill-under-load-perf-buffer", false, true, ended((f, tag) -> restartUnderLoad(f, tag, true, false))));
        s.add(new FaultScenario("producer-sigkill-during-outage-perf-buffer", false, true, ended((f, tag) -> sigkillDuringOutage(f, tag, false))));
        s.add(new FaultScenario("producer-sigterm-under-load-perf-buffer", false, true, ended((f, tag) -> restartUnderLoad(f, tag, false, false))));
        s.add(new FaultScenario("restart-blind-window-perf-buffer", false, true, ended((f, tag) -> blindWindow(f, tag, false))));
        return s;
    }

    private static Outcome finish(Map<String, Long> calls, long outage, String note, Producer... runs) throws Exception {
        Producer last = runs[runs.length - 1];
        last.awaitQuiet(Duration.ofMinutes(10));
        last.stop();
        List<String> ids = new ArrayList<>();
        for (Producer p : runs) ids.add(p.runId());
        return new Outcome(calls, ids, outage, note);
    }

    /**
     * Every broker SIGKILLed under load for {@code seconds}, then started again; the spool holds what came meanwhile.
     * Its cap is the default 1 GiB or room for 1 KiB per call of the outage and a minute more, whichever is larger: a
     * record took ~520 bytes of spool in the 600 s run (1 GiB holds ~11 minutes at 3,000 calls/s), so this is margin.
     */
    private static Outcome brokerOutage(Faults f, String tag, long seconds) throws Exception {
        long room = Math.max(1024, f.rate * (seconds + 60) / 1024); // MiB
        Producer p = f.producer(tag, tag, Map.of("spool", Map.of("maxBytes", room + "MiB")));
        Generator g = f.generator(tag, "", f.rate, (seconds + 40) * 1000);
        Faults.sleep(15);
        long down = f.allBrokersDown();
        Faults.sleep(seconds);
        long peak = p.gauge("mqtap.spool.bytes");
        long records = p.gauge("mqtap.spool.records");
        long outage = f.allBrokersBack(down);
        return finish(Faults.calls(g), outage, String.format(Locale.ROOT, "spool at the outage's end: %d records, %.0f MiB", records,
                peak / 1048576.0), p);
    }

    /** The events partition's leader SIGKILLed under load, started again 20 s later. */
    private static Outcome leaderFailover(Faults f, String tag) throws Exception {
        Producer p = f.producer(tag, tag);
        Generator g = f.generator(tag, "", f.rate, 45_000);
        Faults.sleep(10);
        KafkaBrokerProcess leader = f.cluster.leaderOf(Faults.EVENTS, 0);
        long t0 = System.nanoTime();
        leader.kill();
        FaultsBench.say("leader node %d SIGKILLed", leader.nodeId());
        Faults.sleep(20);
        leader.restart();
        long outage = Math.round((System.nanoTime() - t0) / 1e9);
        return finish(Faults.calls(g), outage, "the leader was node " + leader.nodeId(), p);
    }

    /** Every broker SIGSTOPped for 15 s under load. */
    private static Outcome brokersPaused(Faults f, String tag) throws Exception {
        Producer p = f.producer(tag, tag);
        Generator g = f.generator(tag, "", f.rate, 35_000);
        Faults.sleep(8);
        long t0 = System.nanoTime();
        for (KafkaBrokerProcess n : f.brokers()) n.pause();
        try {
            Faults.sleep(15);
        } finally {
            for (KafkaBrokerProcess n : f.brokers()) n.resume();
        }
        long outage = Math.round((System.nanoTime() - t0) / 1e9); // before the generator's end is awaited
        return finish(Faults.calls(g), outage, "", p);
    }

    /** The registry down from before the start for {@code seconds}, under load: the spool holds everything meanwhile. */
    private static Outcome registryDownAtStart(Faults f, String tag, long seconds) throws Exception {
        f.registry.stop();
        long t0 = System.nanoTime();
        Producer p;
        Generator g;
        try {
            p = f.producer(tag, tag);
            g = f.generator(tag, "", f.rate, (seconds + 20) * 1000);
            Faults.sleep(Math.max(0, seconds - Math.round((System.nanoTime() - t0) / 1e9)));
        } finally {
            f.registry.restart();
        }
        long outage = Math.round((System.nanoTime() - t0) / 1e9);
        // the test registry keeps schemas in memory: what a fleet's CI/CD does for a new registry, register-schemas
        f.registerSchemas(tag);
        FaultsBench.say("registry back after %d s, schemas registered", outage);
        long spooled = p.gauge("mqtap.spool.records");
        return finish(Faults.calls(g), outage, spooled + " records in the spool when the registry came back", p);
    }

    /** The registry stopped mid-run for 15 s: the schema ids are known, so nothing waits. */
    private static Outcome registryDownMidRun(Faults f, String tag) throws Exception {
        Producer p = f.producer(tag, tag);
        Generator g = f.generator(tag, "", f.rate, 35_000);
        Faults.sleep(8);
        long t0 = System.nanoTime();
        f.registry.stop();
        try {
            Faults.sleep(15);
        } finally {
            f.registry.restart();
        }
        long outage = Math.round((System.nanoTime() - t0) / 1e9); // before the generator's end is awaited
        f.registerSchemas(tag); // for the next scenarios' producers (it forgot them)
        return finish(Faults.calls(g), outage, "", p);
    }

    /** A clean restart between two loads (nothing calls while no producer runs): two runs, nothing lost, nothing twice. */
    private static Outcome cleanRestart(Faults f, String tag) throws Exception {
        Producer a = f.producer(tag, tag + "-a");
        Map<String, Long> calls = new LinkedHashMap<>(Faults.calls(f.generator(tag, "-a", f.rate, 8_000)));
        a.awaitQuiet(Duration.ofMinutes(2));
        long t0 = System.nanoTime();
        a.stop();
        Producer b = f.producer(tag, tag + "-b");
        long outage = Math.round((System.nanoTime() - t0) / 1e9);
        calls.putAll(Faults.calls(f.generator(tag, "-b", f.rate, 8_000)));
        Outcome o = finish(calls, outage, "", a, b);
        if (o.runIds().get(0).equals(o.runIds().get(1))) throw new IllegalStateException("both runs have run id " + o.runIds().get(0));
        return o;
    }

    /** A 4 MiB spool (dropNewest) and an outage: what does not fit is dropped and counted, exactly. */
    private static Outcome spoolFull(Faults f, String tag, long seconds) throws Exception {
        Producer p = f.producer(tag, tag, Map.of("spool", Map.of("maxBytes", "4MiB", "segmentBytes", "1MiB", "whenFull", "dropNewest")));
        Generator g = f.generator(tag, "", f.rate, (seconds + 25) * 1000);
        Faults.sleep(8);
        long down = f.allBrokersDown();
        Faults.sleep(seconds);
        long dropped = p.gauge("mqtap.spool.dropped");
        long outage = f.allBrokersBack(down);
        return finish(Faults.calls(g), outage, "the spool had dropped " + dropped + " when the brokers came back", p);
    }

    /** The spool on an 8 MiB tmpfs (maxBytes far above it) and an outage: ENOSPC is a full spool, counted. */
    private static Outcome diskFull(Faults f, String tag, long seconds) throws Exception {
        Path fs = f.tmpfs(tag, 8);
        try {
            Producer p = f.producer(tag, tag, Map.of("spool", Map.of("dir", fs.resolve("spool").toString(), "segmentBytes", "1MiB",
                    "whenFull", "dropNewest")));
            Generator g = f.generator(tag, "", f.rate, (seconds + 25) * 1000);
            Faults.sleep(8);
            long down = f.allBrokersDown();
            Faults.sleep(seconds);
            long dropped = p.gauge("mqtap.spool.dropped");
            long outage = f.allBrokersBack(down);
            if (!p.process.alive()) throw new IllegalStateException("the producer died on a full disk; see " + p.process.log());
            return finish(Faults.calls(g), outage, "the spool had dropped " + dropped + " (ENOSPC) when the brokers came back", p);
        } finally {
            f.cleanUp(); // the producer holds files on the tmpfs
            f.unmount(fs);
        }
    }

    /** A one-page perf buffer and the generator flat out: the kernel's losses, counted exactly. */
    private static Outcome kernelOverflow(Faults f, String tag) throws Exception {
        Producer p = f.producer(tag, tag, Map.of("capture", Map.of("perCpuPages", 1, "wakeupBytes", 2048)));
        Generator g = f.generator(tag, "", 0, 5_000);
        return finish(Faults.calls(g), 0, "", p);
    }

    /**
     * Flooders (a uid of their own, one per CPU, 30 s flat out) beside a victim uid making 100 opens a second under the
     * default fairness budget: every victim call must arrive; every flooder call is emitted, suppressed or lost (counted).
     */
    private static Outcome floodFairness(Faults f, String tag) throws Exception {
        Producer p = f.producer(tag, tag, Map.of("capture", Map.of("fairness", Map.of("enabled", true))));
        int cpus = Runtime.getRuntime().availableProcessors();
        List<Generator> flooders = new ArrayList<>();
        for (int i = 0; i < cpus; i++) flooders.add(f.as(Flood.FLOODER, tag, "-flood" + i, 0, 30_000));
        Generator victim = f.as(Flood.VICTIM, tag, "-victim", 100, 30_000);
        Map<String, Long> calls = Faults.calls(flooders.toArray(Generator[]::new));
        calls.putAll(Faults.calls(victim));
        return finish(calls, 0, "flooder uid " + Flood.FLOODER + " x" + cpus + ", victim uid " + Flood.VICTIM + " at 100/s", p)
                .withMustArrive(List.of(victim.name));
    }

    /**
     * capture.pinPath for a restart scenario: the ring sized for the high rate through a stop, 5 s down and a JVM start
     * (256 MiB: about 20 s of 20,000 calls/s), under a directory of the scenario's own that {@link #unpin} removes.
     */
    private static Map<String, Object> pinned(String tag, boolean pin) {
        if (!pin) return Map.of();
        return Map.of("capture", Map.of("transport", "ring-buffer", "ringBufferBytes", 256 << 20, "pinPath", pinDir(tag)));
    }

    private static String pinDir(String tag) {
        return "/sys/fs/bpf/mqtap-faults-" + tag;
    }

    /** A producer restart, then its producers ended and its pins removed: the programs the last run left capturing detach. */
    private static FaultScenario.Body ended(FaultScenario.Body body) {
        return (f, tag) -> {
            try {
                return body.run(f, tag);
            } finally {
                f.cleanUp();
                unpin(tag);
            }
        };
    }

    /** A stop for good: the pins removed, so the programs the last run left capturing detach. */
    private static void unpin(String tag) {
        java.io.File[] runs = new java.io.File(pinDir(tag)).listFiles();
        if (runs != null)
            for (java.io.File run : runs) {
                java.io.File[] files = run.listFiles();
                if (files != null) for (java.io.File x : files) x.delete();
                run.delete();
            }
        new java.io.File(pinDir(tag)).delete();
    }

    /** Under load at the high rate: the producer SIGKILLed (or SIGTERMed), started again 5 s later. */
    private static Outcome restartUnderLoad(Faults f, String tag, boolean kill, boolean pin) throws Exception {
        Producer a = f.producer(tag, tag + "-a", pinned(tag, pin));
        Generator g = f.generator(tag, "", f.highRate, 45_000);
        Faults.sleep(12);
        long t0 = System.nanoTime();
        if (kill) a.kill();
        else a.stop();
        FaultsBench.say("producer %s", kill ? "SIGKILLed" : "stopped (SIGTERM)");
        Faults.sleep(5);
        Producer b = f.producer(tag, tag + "-b", pinned(tag, pin));
        long outage = Math.round((System.nanoTime() - t0) / 1e9);
        return finish(Faults.calls(g), outage, String.format(Locale.ROOT, "no producer for %d s%s", outage,
                pin ? ", the pinned ring taken over" : ""), a, b);
    }

    /** Brokers down, the spool filling; the producer SIGKILLed and started again 5 s later; the brokers back. */
    private static Outcome sigkillDuringOutage(Faults f, String tag, boolean pin) throws Exception {
        Producer a = f.producer(tag, tag + "-a", pinned(tag, pin));
        Generator g = f.generator(tag, "", f.rate, 60_000);
        Faults.sleep(8);
        long down = f.allBrokersDown();
        Faults.sleep(12);
        long spooled = a.gauge("mqtap.spool.records");
        a.kill();
        FaultsBench.say("producer SIGKILLed with %d records in its spool", spooled);
        Faults.sleep(5);
        Producer b = f.producer(tag, tag + "-b", pinned(tag, pin));
        Faults.sleep(13);
        long outage = f.allBrokersBack(down);
        return finish(Faults.calls(g), outage, spooled + " records were in the killed producer's spool", a, b);
    }

    /** The service stopped cleanly, calls made while it is down (10 s), started again. */
    private static Outcome blindWindow(Faults f, String tag, boolean pin) throws Exception {
        Producer a = f.producer(tag, tag + "-a", pinned(tag, pin));
        Map<String, Long> calls = new LinkedHashMap<>(Faults.calls(f.generator(tag, "-before", f.rate, 5_000)));
        a.awaitQuiet(Duration.ofMinutes(2));
        long t0 = System.nanoTime();
        a.stop();
        Map<String, Long> down = Faults.calls(f.generator(tag, "-down", f.rate, 10_000));
        calls.putAll(down);
        Producer b = f.producer(tag, tag + "-b", pinned(tag, pin));
        long outage = Math.round((System.nanoTime() - t0) / 1e9); // from the stop to the next run capturing
        calls.putAll(Faults.calls(f.generator(tag, "-after", f.rate, 5_000)));
        return finish(calls, outage, down.values().iterator().next() + " calls while no producer ran", a, b);
    }

    /** The uids of flood-fairness (setpriv takes numbers: no such users needed). */
    static final class Flood {
        static final long FLOODER = 65534;
        static final long VICTIM = 64321;

        private Flood() {}
    }
}
