package io.mqtap.bench.fleet;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * One instance of the Streams app ({@code MqTapStreamsApp}) as its own JVM, from the shipped
 * {@code streams/config/streams.properties} with this instance's state dir and query port: instances sharing the
 * application id share the work. A process, so a kill is a SIGKILL by its pid: no clean close, no last commit, its
 * open transaction aborted by the brokers, its tasks' state restored from the changelogs by whoever takes them.
 */
final class StreamsInstance implements AutoCloseable {
    private final List<String> command;
    private final Map<String, String> env;
    private final Path log;
    private Process process;
    private int starts;

    private StreamsInstance(List<String> command, Map<String, String> env, Path log) {
        this.command = command;
        this.env = env;
        this.log = log;
    }

    /**
     * An instance (not started) running {@code shipped} with {@code overrides} on top; its config file and log go
     * into {@code dir}. The child's class path is this JVM's (the bench depends on the streams module).
     */
    static StreamsInstance of(Path shipped, Map<String, String> overrides, Map<String, String> env, Path dir, String name)
            throws IOException {
        Files.createDirectories(dir);
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(shipped, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        overrides.forEach(p::setProperty);
        Path config = dir.resolve(name + ".properties");
        try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
            p.store(w, "shipped " + shipped + " with the bench's overrides");
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                // Kafka Streams' INFO: what the group did (rebalances, restores, commits) is in the instance's log
                "-Dlogback.configurationFile=streams-instance-logback.xml",
                "-cp", System.getProperty("java.class.path"), "io.mqtap.streams.MqTapStreamsApp", config.toString()));
        return new StreamsInstance(cmd, env, dir.resolve(name + ".log"));
    }

    /** Starts the JVM (again, on the same state dir, after a kill). */
    synchronized void start() throws IOException {
        if (process != null && process.isAlive()) throw new IllegalStateException("already running: pid " + process.pid());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        process = pb.start();
        starts++;
    }

    /** SIGKILL to its own pid. */
    synchronized void kill() throws InterruptedException {
        if (process == null) return;
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * Waits (bounded) until the instance's log says it went RUNNING at least once per start (the app logs each state
     * change): its rebalance done, its internal topics created, its tasks restored. Throws if it died or went to ERROR.
     */
    void awaitRunning(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            if (text.contains("-> ERROR")) throw new IllegalStateException(log + ": Kafka Streams went to ERROR");
            if (count(text, "-> RUNNING") >= starts()) return;
            if (!alive()) throw new IllegalStateException(log + ": the instance exited");
            if (System.nanoTime() > deadline) throw new IllegalStateException(log + ": not RUNNING within " + timeout);
            Thread.sleep(500);
        }
    }

    /** How often {@code what} occurs in {@code text}. */
    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    synchronized int starts() {
        return starts;
    }

    Path log() {
        return log;
    }

    /** SIGTERM (the app closes Kafka Streams within 30 s), SIGKILL after 40 s. */
    @Override
    public synchronized void close() throws InterruptedException {
        if (process == null || !process.isAlive()) return;
        process.destroy();
        if (!process.waitFor(40, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
