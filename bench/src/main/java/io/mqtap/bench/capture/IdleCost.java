package io.mqtap.bench.capture;

import io.mqtap.capture.AttachMode;
import io.mqtap.capture.ProbeOptions;
import io.mqtap.capture.QueueEvent;
import io.mqtap.producer.capture.ProbeEventSource;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.mqgen.MqOpenGenerator.Options;
import io.mqtap.testkit.mqgen.MqOpenGenerator.Result;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code ./mqtap bench capture --idle}: what mqtap costs a host with no message-queue traffic. For each of nothing
 * attached, opens only ({@code capture.queueLife: false}) and the queue's whole life (the producer's default), it
 * attaches the probe and runs the producer's capture loop (its {@link ProbeEventSource}, a drain every drain interval,
 * the access window read every {@code --idle-window}, the counters read once a second as the health check does; no
 * Kafka) and measures this JVM's CPU time over {@code --idle-seconds}: the reader thread's, libmqtap's pump thread's, and
 * the whole process's. Then the cost to an unrelated syscall in the same run: bursts of openat+close of a regular file,
 * untraced, traced opens-only and traced with queue life, the reader running. The last line is
 * {@code idle cpu-ms-per-s-life=<x> cpu-ms-per-s-opens=<x> cpu-ms-per-s-none=<x> openat-ratio-life=<x> openat-ratio-opens=<x>}:
 * process CPU milliseconds per second (the none figure is the JVM's own idle cost, the baseline of the other two) and the
 * median openat ratios. Other processes' queue calls on the host are captured as a producer would: the drained events
 * and access records are printed, so a run on a host that was not idle shows as one.
 */
final class IdleCost {
    private IdleCost() {}

    /**
     * CPU of one measured window, in milliseconds per second of wall time, and what the reader saw meanwhile. The process's
     * and the pump's CPU time come in clock ticks (10 ms: 0.33 ms/s over 30 s), the reader thread's in nanoseconds.
     */
    record Cpu(double process, double reader, double pump, long events, long accessRecords, long flushes) {}

    static void run(ProbeOptions base, AttachMode mode, int seconds, long windowMillis, long openatCalls, int runs)
            throws Exception {
        ProbeOptions opens = base.toBuilder().queueLife(false).build();
        ProbeOptions life = base.toBuilder().queueLife(true).build();
        System.out.printf(Locale.ROOT, "idle cost: %d s per mode, access window %d ms, drain %d ms, load %s%n", seconds,
                windowMillis, base.drainIntervalMillis(), load());
        Cpu none = measure(null, mode, seconds, windowMillis);
        print("nothing attached", none);
        Cpu o = measure(opens, mode, seconds, windowMillis);
        print("opens only", o);
        Cpu l = measure(life, mode, seconds, windowMillis);
        print("queue life", l);

        Path file = Files.createTempFile("mqtap-bench-idle-openat", ".txt");
        List<Double> opensRatios = new ArrayList<>(), lifeRatios = new ArrayList<>();
        try {
            Files.writeString(file, "a regular file\n");
            for (int r = 1; r <= runs; r++) {
                Result untraced = MqOpenGenerator.run(Options.openatBurst(openatCalls, file.toString()));
                Result byOpens = openatTraced(opens, mode, windowMillis, openatCalls, file);
                Result byLife = openatTraced(life, mode, windowMillis, openatCalls, file);
                opensRatios.add(byOpens.callsPerSec() / untraced.callsPerSec());
                lifeRatios.add(byLife.callsPerSec() / untraced.callsPerSec());
                System.out.printf(Locale.ROOT, "openat run %d: untraced %,.0f calls/s; opens only %,.0f (ratio %.3f); queue life %,.0f (ratio %.3f)%n",
                        r, untraced.callsPerSec(), byOpens.callsPerSec(), opensRatios.get(r - 1), byLife.callsPerSec(),
                        lifeRatios.get(r - 1));
            }
        } finally {
            Files.deleteIfExists(file);
        }
        opensRatios.sort(null);
        lifeRatios.sort(null);
        System.out.println("load at the end: " + load());
        System.out.printf(Locale.ROOT, "idle cpu-ms-per-s-life=%.2f cpu-ms-per-s-opens=%.2f cpu-ms-per-s-none=%.2f"
                        + " openat-ratio-life=%.2f openat-ratio-opens=%.2f%n", l.process(), o.process(), none.process(),
                lifeRatios.get(lifeRatios.size() / 2), opensRatios.get(opensRatios.size() / 2));
    }

    private static void print(String what, Cpu c) {
        System.out.printf(Locale.ROOT, "%s: process %.2f ms/s (reader thread %.2f, pump thread %.2f); drained %d events,"
                + " %d access records in %d window reads%n", what, c.process(), c.reader(), c.pump(), c.events(),
                c.accessRecords(), c.flushes());
    }

    /** Attaches (null: nothing), lets the attach settle, then measures the process for the given seconds. */
    static Cpu measure(ProbeOptions opts, AttachMode mode, int seconds, long windowMillis) throws Exception {
        if (opts == null) {
            Thread.sleep(2_000);
            long cpu0 = processCpuNanos(), t0 = System.nanoTime();
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
            return new Cpu(perSecond(processCpuNanos() - cpu0, System.nanoTime() - t0), 0, 0, 0, 0, 0);
        }
        try (ProbeEventSource source = ProbeEventSource.open(opts, mode, 1024)) {
            IdleReader reader = new IdleReader(source, opts.drainIntervalMillis(), windowMillis);
            reader.start();
            try {
                // the attach, the first drains and the JIT's first compilations are not part of the idle state
                Thread.sleep(2_000);
                long pumpTid = pumpTid();
                ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                long cpu0 = processCpuNanos(), reader0 = threads.getThreadCpuTime(reader.getId()),
                        pump0 = taskCpuNanos(pumpTid), events0 = reader.events, records0 = reader.accessRecords,
                        flushes0 = reader.flushes, t0 = System.nanoTime();
                Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
                long wall = System.nanoTime() - t0;
                return new Cpu(perSecond(processCpuNanos() - cpu0, wall),
                        perSecond(threads.getThreadCpuTime(reader.getId()) - reader0, wall),
                        perSecond(taskCpuNanos(pumpTid) - pump0, wall), reader.events - events0,
                        reader.accessRecords - records0, reader.flushes - flushes0);
            } finally {
                reader.finish();
            }
        }
    }

    /** A burst of openat+close with the probe attached and the reader running. */
    private static Result openatTraced(ProbeOptions opts, AttachMode mode, long windowMillis, long calls, Path file)
            throws Exception {
        try (ProbeEventSource source = ProbeEventSource.open(opts, mode, 1024)) {
            IdleReader reader = new IdleReader(source, opts.drainIntervalMillis(), windowMillis);
            reader.start();
            try {
                // one queue opened, as on any host that uses them (see CaptureBench.openatTraced)
                MqOpenGenerator.run(Options.successBurst(1));
                return MqOpenGenerator.run(Options.openatBurst(calls, file.toString()));
            } finally {
                reader.finish();
            }
        }
    }

    /** The producer's capture loop without the mapping and Kafka: drain, the access window on time, the counters once a second. */
    static final class IdleReader extends Thread {
        private final ProbeEventSource source;
        private final int drainMillis;
        private final long windowNanos;
        volatile boolean stop;
        volatile Exception failure;
        volatile long events, accessRecords, flushes;

        IdleReader(ProbeEventSource source, int drainMillis, long windowMillis) {
            super("idle-reader");
            setDaemon(true);
            this.source = source;
            this.drainMillis = drainMillis;
            this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMillis);
        }

        @Override
        public void run() {
            List<QueueEvent> batch = new ArrayList<>(1024);
            long windowDue = System.nanoTime() + windowNanos, countersDue = System.nanoTime();
            try {
                while (!stop) {
                    long now = System.nanoTime();
                    if (now - windowDue >= 0) {
                        var w = source.flushAccess();
                        if (w != null) {
                            accessRecords += w.records().size();
                            flushes++;
                        }
                        windowDue = now + windowNanos;
                    }
                    if (now - countersDue >= 0) {
                        source.lostKernel();
                        countersDue = now + TimeUnit.SECONDS.toNanos(1);
                    }
                    batch.clear();
                    events += source.drainTo(batch, 1024, drainMillis);
                }
            } catch (Exception e) {
                failure = e;
            }
        }

        void finish() throws Exception {
            stop = true;
            join();
            if (failure != null) throw failure;
        }
    }

    private static double perSecond(long cpuNanos, long wallNanos) {
        return cpuNanos / 1e6 / (wallNanos / 1e9);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** libmqtap's staging thread ("mqtap-pump"), or -1 when staging is off. */
    private static long pumpTid() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                if (Files.readString(t.resolve("comm")).trim().equals("mqtap-pump")) return Long.parseLong(t.getFileName().toString());
            }
        }
        return -1;
    }

    /** A thread's user+system time from /proc (clock ticks, 10 ms each: the pump's figure is that coarse). */
    private static long taskCpuNanos(long tid) throws IOException {
        if (tid < 0) return 0;
        String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after the comm: state is field 3, utime 14 and stime 15 (1-based over the whole line)
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }
}
