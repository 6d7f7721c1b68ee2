package io.mqtap.bench.pipeline;

import io.mqtap.testkit.process.ChildProcesses;
import io.mqtap.testkit.process.ProcStat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kafka's own {@code org.apache.kafka.tools.ProducerPerformance} as its own JVM, with its own classpath
 * ({@code bench/target/kafka-tools-lib}, argparse4j 0.7). Its CPU is read from /proc two ways: the whole process
 * (last sample before it exits), and over its steady send phase: between two of its once-a-second progress lines,
 * skipping the first ones (JIT warm-up), divided by the records those lines report.
 */
final class KafkaPerf {
    private static final Pattern PROGRESS = Pattern.compile("^(\\d+) records sent, ([0-9.]+) records/sec \\(([0-9.]+) MB/sec\\), "
            + "([0-9.]+) ms avg latency, ([0-9.]+) ms max latency\\.$");
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) records sent, ([0-9.]+) records/sec \\(([0-9.]+) MB/sec\\), "
            + "([0-9.]+) ms avg latency, ([0-9.]+) ms max latency, (\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th");

    /**
     * One run: what the tool reported; the CPU seconds of the whole JVM (start to the last sample, every 50 ms);
     * and the steady-phase CPU seconds and records (0 when the run was too short for a steady window).
     */
    record Run(long records, double recordsPerSec, double mbPerSec, double p50Ms, double p99Ms, double cpuSeconds,
               double wallSeconds, double steadyCpuSeconds, long steadyRecords, double steadySeconds) {
        double steadyCpuPerMillion() {
            return steadyRecords == 0 ? Double.NaN : steadyCpuSeconds / steadyRecords * 1e6;
        }
    }

    private final Path lib;
    private final String bootstrap;
    private final List<String> producerProps;

    KafkaPerf(Path lib, String bootstrap, List<String> producerProps) {
        this.lib = lib;
        this.bootstrap = bootstrap;
        this.producerProps = producerProps;
    }

    /** Sends records of recordSize bytes at throughput records/s (-1: as fast as it can); skips warmupSeconds for the steady figure. */
    Run run(String topic, long records, int recordSize, long throughput, int warmupSeconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", lib + "/*", "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                "--num-records", Long.toString(records), "--record-size", Integer.toString(recordSize),
                "--throughput", Long.toString(throughput), "--reporting-interval", "1000",
                "--bootstrap-server", bootstrap, "--command-property"));
        cmd.addAll(producerProps);
        long t0 = System.nanoTime();
        Process p = ChildProcesses.track(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        long pid = p.pid();
        double[] lastCpu = {0};
        Thread sampler = new Thread(() -> {
            while (p.isAlive()) {
                try {
                    lastCpu[0] = ProcStat.cpuSeconds(pid);
                    Thread.sleep(50);
                } catch (RuntimeException | InterruptedException e) {
                    return; // gone
                }
            }
        }, "producer-perf-cpu");
        sampler.setDaemon(true);
        sampler.start();
        StringBuilder out = new StringBuilder();
        double steadyStartCpu = -1;
        long steadyStartNanos = 0;
        double steadyCpu = 0;
        long steadyRecords = 0;
        double steadySeconds = 0;
        long n = records;
        double rps = 0, mb = 0, p50 = -1, p99 = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                out.append(line).append('\n');
                Matcher pr = PROGRESS.matcher(line.trim());
                if (pr.matches()) {
                    double cpu;
                    try {
                        cpu = ProcStat.cpuSeconds(pid);
                    } catch (RuntimeException e) {
                        continue;
                    }
                    long now = System.nanoTime();
                    if (now - t0 < warmupSeconds * 1_000_000_000L) continue;
                    if (steadyStartCpu < 0) {
                        // the first line after the warm-up opens the window; the records it reports are before it
                        steadyStartCpu = cpu;
                        steadyStartNanos = now;
                    } else {
                        steadyRecords += Long.parseLong(pr.group(1));
                        steadyCpu = cpu - steadyStartCpu;
                        steadySeconds = (now - steadyStartNanos) / 1e9;
                    }
                    continue;
                }
                Matcher s = SUMMARY.matcher(line);
                if (s.find()) {
                    n = Long.parseLong(s.group(1));
                    rps = Double.parseDouble(s.group(2));
                    mb = Double.parseDouble(s.group(3));
                    p50 = Double.parseDouble(s.group(6));
                    p99 = Double.parseDouble(s.group(8));
                }
            }
        }
        int rc = p.waitFor();
        sampler.join(1000);
        double wall = (System.nanoTime() - t0) / 1e9;
        ChildProcesses.stop(p, 1);
        if (rc != 0) throw new IOException("ProducerPerformance exited " + rc + ":\n" + out);
        if (rps == 0 && records > 1) throw new IOException("no summary line from ProducerPerformance:\n" + out);
        return new Run(n, rps, mb, p50, p99, lastCpu[0], wall, steadyCpu, steadyRecords, steadySeconds);
    }
}
