package io.mqtap.bench.capture;

import io.mqtap.bench.BenchArgs;
import io.mqtap.capture.AttachMode;
import io.mqtap.capture.AttachReport;
import io.mqtap.capture.MqOpenEvent;
import io.mqtap.capture.MqOpenProbe;
import io.mqtap.capture.ProbeCounters;
import io.mqtap.capture.ProbeOptions;
import io.mqtap.capture.RawEvent;
import io.mqtap.capture.Transport;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.mqgen.MqOpenGenerator.Options;
import io.mqtap.testkit.mqgen.MqOpenGenerator.Result;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.ArgumentParser;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * {@code ./mqtap bench capture}: the cost of capture to the traced program. mq_open_gen calls
 * mq_open on a missing queue in a loop on one thread, first with nothing attached, then with
 * mqtap's probe attached and its Java reader draining and decoding every event on another thread
 * (no Kafka), then with jni's plain C reader of the same BPF object (mqtap_c_reader, no JVM) in its
 * place. Then, when bpftrace is installed, the same burst under bpftrace printing four fields. Then what
 * the probe's open hooks cost every other open: a burst of openat+close of a regular file, untraced and
 * with mqtap attached. Then what tracing send costs ({@link SendRatio}). The last three lines are
 * {@code openat-ratio=<traced/untraced openat calls/s>},
 * {@code send-ratio=<aggregated/untraced sends/s> send-ratio-per-call=<per call/untraced>} and
 * {@code capture-ratio=<traced/untraced calls/s> c-reader-ratio=<same, C reader> calls=<N> received=<N> lost=<N>}
 * for the median of the runs. {@code --field-costs} and {@code --idle} ({@link IdleCost}: the cost with no queue traffic)
 * measure something else instead.
 */
public final class CaptureBench {
    private CaptureBench() {}

    /** lost: every loss counted (lostTotal, with the kernel's host-wide miss counts); lostAtLeast: the probe's own. */
    public record Run(double untracedRate, Result traced, long received, long lost, long lostAtLeast, ProbeCounters counters) {
        public double ratio() {
            return traced.callsPerSec() / untracedRate;
        }
    }

    /** The same burst read by the C reader instead of mqtap's Java reader. */
    record CRun(double untracedRate, Result traced, CReader.Report report) {
        double ratio() {
            return traced.callsPerSec() / untracedRate;
        }
    }

    /** full: every event becomes an MqOpenEvent, as the producer does; pid: only the pid is read */
    static boolean decodeAll = true;
    /** nice value for the reader thread (0: leave it); negative values need CAP_SYS_NICE */
    static int readerNice = 0;

    /** Sets the calling thread's nice value (Linux: per thread) with renice(1). */
    static void renice(int nice) {
        try {
            String self = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString(); // <pid>/task/<tid>
            String tid = self.substring(self.lastIndexOf('/') + 1);
            Process p = new ProcessBuilder("renice", "-n", Integer.toString(nice), "-p", tid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor() != 0) System.out.println("note: could not renice the reader thread to " + nice);
        } catch (IOException | InterruptedException e) {
            System.out.println("note: could not renice the reader thread: " + e);
        }
    }

    public static void main(String[] args) throws Exception {
        Namespace ns = parser().parseArgsOrFail(args);
        long calls = ns.getLong("calls");
        int runs = ns.getInt("runs");
        boolean bpftrace = ns.getBoolean("bpftrace");
        readerNice = ns.getInt("reader_nice");
        decodeAll = ns.getString("decode").equals("full");
        AttachMode mode = AttachMode.parse(ns.getString("attach"));
        ProbeOptions.Builder options = ProbeOptions.builder()
                .transport(ns.getString("transport").equals("ring") ? Transport.RING_BUFFER : Transport.PERF_BUFFER);
        // unset options keep ProbeOptions' defaults
        if (ns.getInt("per_cpu_pages") != null) options.perCpuPages(ns.getInt("per_cpu_pages"));
        if (ns.getInt("ring_buffer_bytes") != null) options.ringBufferBytes(ns.getInt("ring_buffer_bytes"));
        if (ns.getInt("wakeup_bytes") != null) options.wakeupBytes(ns.getInt("wakeup_bytes"));
        if (ns.getInt("drain_interval_ms") != null) options.drainIntervalMillis(ns.getInt("drain_interval_ms"));
        options.compat32Hooks(ns.getBoolean("compat32_hooks"));
        cReader = ns.getBoolean("c_reader");
        openat = ns.getBoolean("openat");
        send = ns.getBoolean("send");
        fieldCosts = ns.getBoolean("field_costs");
        if (calls < 1_000_000) System.out.println("note: the reference figure is a burst of at least 1,000,000 calls");
        ProbeOptions opts = options.build();
        // --with-fairness RATE,BURST: each run also traces with per-user fairness on, for its cost on every call
        ProbeOptions fair = null;
        if (ns.getString("with_fairness") != null) {
            String[] rb = ns.getString("with_fairness").split(",");
            fair = opts.toBuilder().fairness(Long.parseLong(rb[0].trim()), Long.parseLong(rb[1].trim()), false).build();
        }

        if (fieldCosts) {
            FieldCosts.run(opts, mode, Math.min(calls, 300_000), runs);
            return;
        }
        if (ns.getBoolean("idle")) {
            IdleCost.run(opts, mode, ns.getInt("idle_seconds"), ns.getLong("idle_window_ms"), calls, runs);
            return;
        }
        System.out.printf(Locale.ROOT, "capture bench: %,d calls per burst, %d runs, %s%n", calls, runs, describe(opts));
        AttachMode attached = warmUp(opts, mode);
        List<Run> results = new ArrayList<>();
        List<CRun> cResults = new ArrayList<>();
        List<Double> fairRatios = new ArrayList<>();
        for (int r = 1; r <= runs; r++) {
            Result untraced = MqOpenGenerator.run(Options.burst(calls));
            Run run = traced(opts, mode, calls, untraced.callsPerSec());
            results.add(run);
            CRun c = cReader ? tracedByC(opts, attached, calls, untraced.callsPerSec()) : null;
            if (c != null) cResults.add(c);
            System.out.printf(Locale.ROOT,
                    "run %d: untraced %,.0f calls/s; traced %,.0f calls/s; ratio %.3f; received %,d; lost %,d%s%n",
                    r, untraced.callsPerSec(), run.traced().callsPerSec(), run.ratio(), run.received(), run.lost(),
                    c == null ? "" : String.format(Locale.ROOT, "; C reader: %,.0f calls/s, ratio %.3f, received %,d, lost %,d",
                            c.traced().callsPerSec(), c.ratio(), c.report().received(), c.report().lost()));
            if (fair != null) {
                Run f = traced(fair, mode, calls, untraced.callsPerSec());
                fairRatios.add(f.ratio());
                System.out.printf(Locale.ROOT,
                        "run %d with fairness %d/s burst %d: traced %,.0f calls/s; ratio %.3f; received %,d; suppressed %,d; lost %,d%n",
                        r, fair.fairRate(), fair.fairBurst(), f.traced().callsPerSec(), f.ratio(), f.received(),
                        f.counters().suppressed(), f.lost());
            }
        }
        results.sort(Comparator.comparingDouble(Run::ratio));
        cResults.sort(Comparator.comparingDouble(CRun::ratio));
        Run median = results.get(results.size() / 2);
        System.out.printf(Locale.ROOT, "counters of the median run: %s%n", median.counters());
        if (bpftrace) bpftraceFigure(calls, median.untracedRate());
        if (openat) openatRatio(opts, mode, calls, runs);
        if (send) SendRatio.run(opts, mode, calls, runs);
        String cRatio = cResults.isEmpty() ? "" : String.format(Locale.ROOT, " c-reader-ratio=%.2f",
                cResults.get(cResults.size() / 2).ratio());
        String fairPart = "";
        if (!fairRatios.isEmpty()) {
            fairRatios.sort(Double::compare);
            fairPart = String.format(Locale.ROOT, " fairness-ratio=%.2f", fairRatios.get(fairRatios.size() / 2));
        }
        System.out.printf(Locale.ROOT, "capture-ratio=%.2f%s calls=%d received=%d lost=%d%s%n", median.ratio(), cRatio,
                median.traced().calls(), median.received(), median.lost(), fairPart);
    }

    static ArgumentParser parser() {
        ArgumentParser p = BenchArgs.parser("capture", "mq_open calls/s untraced vs. traced by mqtap's Java reader (no Kafka)");
        p.addArgument("--calls").metavar("N").type(Long.class).setDefault(1_000_000L).help("calls per burst (default 1000000)");
        p.addArgument("--runs").metavar("R").type(Integer.class).setDefault(3).help("untraced/traced pairs (default 3)");
        p.addArgument("--transport").choices("perf", "ring").setDefault("perf").help("kernel buffer (default perf)");
        p.addArgument("--per-cpu-pages").metavar("P").type(Integer.class).help("perf buffer pages per CPU");
        p.addArgument("--ring-buffer-bytes").metavar("B").type(Integer.class).help("ring buffer size");
        p.addArgument("--wakeup-bytes").metavar("B").type(Integer.class).help("bytes before the kernel wakes the reader");
        p.addArgument("--drain-interval-ms").metavar("MS").type(Integer.class).help("longest wait for a drain");
        p.addArgument("--attach").metavar("MODE").setDefault("auto").help("auto, fentry, kprobe or tracepoint (default auto)");
        p.addArgument("--no-bpftrace").dest("bpftrace").action(Arguments.storeFalse()).help("skip the bpftrace comparison");
        p.addArgument("--no-c-reader").dest("c_reader").action(Arguments.storeFalse())
                .help("skip the plain C reader of the same BPF object");
        p.addArgument("--no-openat").dest("openat").action(Arguments.storeFalse())
                .help("skip what the open hooks cost other opens (openat-ratio)");
        p.addArgument("--no-send").dest("send").action(Arguments.storeFalse())
                .help("skip what tracing mq_timedsend costs the sender (send-ratio, aggregated and per call)");
        p.addArgument("--field-costs").action(Arguments.storeTrue())
                .help("instead: what each group of fields costs inside the programs (their kernel run time)");
        p.addArgument("--idle").action(Arguments.storeTrue())
                .help("instead: what mqtap costs a host with no queue traffic (process CPU with queue life on and off, and the openat ratio of each)");
        p.addArgument("--idle-seconds").metavar("S").type(Integer.class).setDefault(30)
                .help("--idle: seconds measured per mode (default 30)");
        p.addArgument("--idle-window-ms").metavar("MS").type(Long.class).setDefault(10_000L)
                .help("--idle: the access window, read out this often (default 10000, the producer's capture.access.window)");
        p.addArgument("--decode").choices("full", "pid").setDefault("full")
                .help("decode every event (full, default) or only its pid");
        p.addArgument("--with-fairness").metavar("RATE,BURST")
                .help("also trace each burst with per-user fairness at this budget (events/s, burst); the last line adds fairness-ratio");
        p.addArgument("--no-compat32-hooks").dest("compat32_hooks").action(Arguments.storeFalse())
                .help("tracepoint set: leave out the raw_syscalls hooks for 32-bit callers (what they cost every syscall)");
        p.addArgument("--reader-nice").metavar("N").type(Integer.class).setDefault(0).help("nice value of the reader thread");
        return p;
    }

    /** Instead of the rates, what each group of new fields costs inside the programs (--field-costs). */
    static boolean fieldCosts = false;

    /** Also run the C reader of the same BPF object after each traced run (off: --no-c-reader). */
    static boolean cReader = true;
    /** Also measure what the open hooks cost other opens (off: --no-openat). */
    static boolean openat = true;
    /** Also measure what tracing send costs (off: --no-send). */
    static boolean send = true;

    static CRun tracedByC(ProbeOptions opts, AttachMode set, long calls, double untracedRate) throws Exception {
        try (CReader c = CReader.start(opts, set)) {
            Process gen = MqOpenGenerator.start(Options.burst(calls));
            Result result = MqOpenGenerator.await(gen);
            return new CRun(untracedRate, result, c.report(gen.pid()));
        }
    }

    /**
     * openat+close of a regular file: untraced, traced by mqtap without its open hooks (what attaching to
     * mq_open already costs every syscall: the tracepoint set puts every syscall on the slow path), and
     * traced as shipped (mqtap attached, its Java reader draining); the median ratios. Every successful
     * open on the host passes the probe's open-exit hook.
     */
    static void openatRatio(ProbeOptions opts, AttachMode mode, long calls, int runs) throws Exception {
        Path file = Files.createTempFile("mqtap-bench-openat", ".txt");
        try {
            Files.writeString(file, "a regular file\n");
            List<Double> ratios = new ArrayList<>(), without = new ArrayList<>();
            for (int r = 1; r <= runs; r++) {
                Result untraced = MqOpenGenerator.run(Options.openatBurst(calls, file.toString()));
                Result noHooks = openatTraced(opts.toBuilder().skipFieldsForBenchmark(ProbeOptions.SKIP_OPEN_HOOKS).build(),
                        mode, calls, file);
                Result traced = openatTraced(opts, mode, calls, file);
                double ratio = traced.callsPerSec() / untraced.callsPerSec();
                double base = noHooks.callsPerSec() / untraced.callsPerSec();
                ratios.add(ratio);
                without.add(base);
                System.out.printf(Locale.ROOT, "openat run %d: untraced %,.0f calls/s; mqtap without open hooks %,.0f (ratio %.3f);"
                        + " traced %,.0f calls/s; ratio %.3f%n", r, untraced.callsPerSec(), noHooks.callsPerSec(), base,
                        traced.callsPerSec(), ratio);
            }
            ratios.sort(null);
            without.sort(null);
            System.out.printf(Locale.ROOT, "openat without the open hooks: ratio %.2f (what the hook set costs every syscall)%n",
                    without.get(without.size() / 2));
            System.out.printf(Locale.ROOT, "openat-ratio=%.2f%n", ratios.get(ratios.size() / 2));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static Result openatTraced(ProbeOptions opts, AttachMode mode, long calls, Path file) throws Exception {
        try (MqOpenProbe probe = MqOpenProbe.open(opts)) {
            probe.attach(mode);
            // one queue opened, as on any host that uses them: where /proc/kallsyms does not show
            // mqueue_file_operations the probe learns it from that, and other files are told apart in two reads
            MqOpenGenerator.run(Options.successBurst(1));
            Reader reader = new Reader(probe);
            reader.setDaemon(true);
            reader.start();
            Result r = MqOpenGenerator.run(Options.openatBurst(calls, file.toString()));
            reader.stop = true;
            reader.join();
            return r;
        }
    }

    static String describe(ProbeOptions o) {
        return o.transport() == Transport.PERF_BUFFER
                ? String.format(Locale.ROOT, "perf buffer %d pages/CPU, wakeup %d B, drain %d ms", o.perCpuPages(),
                        o.wakeupBytes(), o.drainIntervalMillis())
                : String.format(Locale.ROOT, "ring buffer %d B, wakeup %d B, drain %d ms", o.ringBufferBytes(),
                        o.wakeupBytes(), o.drainIntervalMillis());
    }

    /** Compiles the reader's path before measuring: the first traced burst should not pay for the JIT. Returns the set attached. */
    private static AttachMode warmUp(ProbeOptions opts, AttachMode mode) throws Exception {
        traced(opts, mode, 300_000, 1);
        return attachedSet;
    }

    /** The hook set the last traced run attached (AUTO resolved), for the C reader. */
    static volatile AttachMode attachedSet = AttachMode.TRACEPOINT;

    /** The reader: drains and decodes every event, counts those of the generator's pid. */
    static final class Reader extends Thread {
        private final MqOpenProbe probe;
        private final ByteBuffer buf = MqOpenProbe.allocateBuffer(2048);
        final AtomicLong targetPid = new AtomicLong(-1);
        final AtomicLong matched = new AtomicLong();
        final AtomicLong beforePid = new AtomicLong(); // events seen before the pid was known
        final List<MqOpenEvent> early = new ArrayList<>();
        volatile boolean stop;
        volatile Exception failure;
        long batches, events, maxBatch, maxGapNanos, maxDecodeNanos;

        Reader(MqOpenProbe probe) {
            super("capture-reader");
            this.probe = probe;
        }

        @Override
        public void run() {
            if (readerNice != 0) renice(readerNice);
            try {
                long last = System.nanoTime();
                while (!stop) {
                    int n = probe.drain(buf, 100);
                    long t = System.nanoTime();
                    if (n > 0) {
                        batches++;
                        events += n;
                        maxBatch = Math.max(maxBatch, n);
                    }
                    long pid = targetPid.get();
                    long hits = 0;
                    for (int i = 0; i < n; i++) {
                        if (!decodeAll && pid >= 0) {
                            if ((buf.getInt(i * RawEvent.SIZE + RawEvent.PID) & 0xFFFF_FFFFL) == pid) hits++;
                            continue;
                        }
                        MqOpenEvent e = RawEvent.decode(buf, i * RawEvent.SIZE);
                        if (pid < 0) {
                            synchronized (early) {
                                early.add(e);
                            }
                        } else if (e.pid() == pid) {
                            hits++;
                        }
                    }
                    matched.addAndGet(hits);
                    long done = System.nanoTime();
                    if (n > 0) maxDecodeNanos = Math.max(maxDecodeNanos, done - t);
                    // time outside drain: what the kernel buffer has to absorb
                    maxGapNanos = Math.max(maxGapNanos, t - last - 0);
                    last = done;
                }
            } catch (Exception e) {
                failure = e;
            }
        }

        long received() {
            long pid = targetPid.get();
            synchronized (early) {
                return matched.get() + early.stream().filter(e -> e.pid() == pid).count();
            }
        }
    }

    public static Run traced(ProbeOptions opts, AttachMode mode, long calls, double untracedRate) throws Exception {
        try (MqOpenProbe probe = MqOpenProbe.open(opts)) {
            AttachReport report = probe.attach(mode);
            attachedSet = report.attached();
            if (untracedRate > 1) System.out.println("  attach: " + report.describe().lines().findFirst().orElse(""));
            Reader reader = new Reader(probe);
            reader.setDaemon(true);
            reader.start();
            ProbeCounters before = probe.counters();
            Process gen = MqOpenGenerator.start(Options.burst(calls));
            reader.targetPid.set(gen.pid());
            Result result = MqOpenGenerator.await(gen);
            // let the reader catch up with what is buffered
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            long lost = 0;
            while (System.nanoTime() < deadline) {
                lost = probe.counters().lostTotal() - before.lostTotal();
                if (reader.received() + lost >= result.calls()) break;
                Thread.sleep(5);
            }
            probe.detach();
            Thread.sleep(3L * opts.drainIntervalMillis());
            reader.stop = true;
            reader.join();
            if (reader.failure != null) throw reader.failure;
            ProbeCounters after = probe.counters();
            if (untracedRate > 1)
                System.out.printf(Locale.ROOT, "  reader: %,d batches, %.0f events/batch (max %d), longest drain call %.1f ms, longest decode of a batch %.1f ms%n",
                        reader.batches, reader.batches == 0 ? 0.0 : (double) reader.events / reader.batches, reader.maxBatch,
                        reader.maxGapNanos / 1e6, reader.maxDecodeNanos / 1e6);
            return new Run(untracedRate, result, reader.received(), after.lostTotal() - before.lostTotal(),
                    after.lostAtLeast() - before.lostAtLeast(), after);
        }
    }

    /** The same burst under bpftrace printing four fields of the enter tracepoint to a file. */
    static void bpftraceFigure(long calls, double untracedRate) throws Exception {
        String bpftrace = which("bpftrace");
        if (bpftrace == null) {
            System.out.println("bpftrace: not installed, no figure");
            return;
        }
        Path out = Files.createTempFile("mqtap-bench-bpftrace", ".txt");
        // four fields, like a typical one-liner; readiness is seen in the output (BEGIN needs uprobes)
        String script = "tracepoint:syscalls:sys_enter_mq_open { printf(\"%d %d %s %s\\n\", pid, tid, comm, str(args->u_name)); }";
        Process bt = new ProcessBuilder(bpftrace, "-o", out.toString(), "-e", script)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String marker = "mqtap-bpftrace-ready-" + ProcessHandle.current().pid();
            while (!Files.readString(out, StandardCharsets.ISO_8859_1).contains(marker)) {
                if (!bt.isAlive() || System.nanoTime() > deadline) {
                    System.out.println("bpftrace: did not start (exit " + (bt.isAlive() ? "none" : bt.exitValue()) + "), no figure");
                    return;
                }
                MqOpenGenerator.run(new Options(1, 0, 0, marker, false));
                Thread.sleep(200);
            }
            Process gen = MqOpenGenerator.start(Options.burst(calls));
            Result r = MqOpenGenerator.await(gen);
            Thread.sleep(500);
            bt.destroy(); // SIGTERM: bpftrace flushes and exits
            bt.waitFor(30, TimeUnit.SECONDS);
            String prefix = gen.pid() + " ";
            long received;
            try (var lines = Files.lines(out, StandardCharsets.ISO_8859_1)) {
                received = lines.filter(l -> l.startsWith(prefix)).count();
            }
            System.out.printf(Locale.ROOT, "bpftrace %s: traced %,.0f calls/s; ratio %.3f; received %,d of %,d (%d lost)%n",
                    version(bpftrace), r.callsPerSec(), r.callsPerSec() / untracedRate, received, r.calls(),
                    r.calls() - received);
        } finally {
            if (bt.isAlive()) bt.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }

    private static String which(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }

    private static String version(String bpftrace) {
        try {
            Process p = new ProcessBuilder(bpftrace, "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            return v.replace("bpftrace ", "");
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }
}
