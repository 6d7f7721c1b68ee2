package io.mqtap.testkit.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mqtap producer ({@code MqTapApplication <command> ...}) as its own JVM, as an operator or systemd runs it: its
 * output in a log file, ended by its own PID. Tests, the benchmarks and the demo's checks all start it here.
 *
 * <pre>{@code
 * try (ProducerProcess p = ProducerProcess.builder().adminPort(port).args("server", config.toString()).start()) {
 *     p.awaitHealthy(Duration.ofSeconds(120));
 *     JsonNode m = p.metrics();
 *     p.stop(Duration.ofSeconds(60));          // SIGTERM, then its "Stopped in" line
 *     ProducerProcess.StopLine s = p.stopLine();
 * }
 * }</pre>
 */
public final class ProducerProcess implements AutoCloseable {
    public static final String MAIN_CLASS = "io.mqtap.producer.MqTapApplication";
    /** The heap the systemd unit gives the service (deploy/mqtap.service): tests and benchmarks run with the same. */
    public static final String UNIT_HEAP = "256m";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern STOPPED = Pattern.compile("Stopped in (\\d+) ms: captured (\\d+), published (\\d+), "
            + "failed (\\d+), dropped (\\d+), lost in kernel (\\d+), last sequence (-?\\d+)");
    private static final Pattern RUN = Pattern.compile("as run ([0-9a-f-]{36})");

    /** The producer's own account of its life, from the line it logs when it stops. */
    public record StopLine(long millis, long captured, long published, long failed, long dropped, long lostKernel,
                           long lastSequence) {}

    private final Process process;
    private final Path log;
    private final boolean ownsLog;
    private final int adminPort;

    private ProducerProcess(Process process, Path log, boolean ownsLog, int adminPort) {
        this.process = process;
        this.log = log;
        this.ownsLog = ownsLog;
        this.adminPort = adminPort;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How the JVM is launched; every option has a default that suits a test. */
    public static final class Builder {
        private String classpath = System.getProperty("java.class.path");
        private String heap = UNIT_HEAP;
        private final List<String> jvmOptions = new ArrayList<>();
        private final List<String> launcher = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> args = new ArrayList<>();
        private Path log;
        private int adminPort;

        private Builder() {}

        /** The producer's classpath; default: this JVM's own (a test's, which holds the producer). */
        public Builder classpath(String cp) {
            classpath = cp;
            return this;
        }

        /** -Xmx; default {@link #UNIT_HEAP}, the unit's. */
        public Builder heap(String xmx) {
            heap = xmx;
            return this;
        }

        public Builder jvmOptions(List<String> opts) {
            jvmOptions.addAll(opts);
            return this;
        }

        /** A command the java command line runs under, e.g. {@code setpriv --reuid=... --}. */
        public Builder launcher(List<String> prefix) {
            launcher.addAll(prefix);
            return this;
        }

        public Builder env(Map<String, String> vars) {
            env.putAll(vars);
            return this;
        }

        /** Where its output goes; default a temporary file, removed at {@link #close()}. */
        public Builder log(Path file) {
            log = file;
            return this;
        }

        /** The admin port its config names, for {@link #metrics()} and {@link #awaitHealthy(Duration)}. */
        public Builder adminPort(int port) {
            adminPort = port;
            return this;
        }

        /** {@code server <file>}, the file written first from the map (as JSON, which the YAML reader takes). */
        public Builder server(Path file, Map<String, Object> config) throws IOException {
            JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), config);
            return args("server", file.toString());
        }

        /** The application's arguments: {@code server config.yml}, {@code check config.yml}, {@code tail ...}. */
        public Builder args(String... a) {
            args.addAll(List.of(a));
            return this;
        }

        public ProducerProcess start() throws IOException {
            boolean ownsLog = log == null;
            Path out = ownsLog ? Files.createTempFile("mqtap-producer-", ".log") : log;
            List<String> cmd = new ArrayList<>(launcher);
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx" + heap);
            cmd.addAll(jvmOptions);
            cmd.add("-cp");
            cmd.add(classpath);
            cmd.add(MAIN_CLASS);
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().putAll(env);
            return new ProducerProcess(ChildProcesses.track(pb.start()), out, ownsLog, adminPort);
        }
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Everything it printed so far. */
    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Its last lines, for a failure message. */
    public String tail(int lines) {
        String[] all = output().split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }

    /** Waits until the output contains the text; fails with the output so far when it doesn't, or when the process exits. */
    public void awaitOutput(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (output().contains(text)) return;
            if (!process.isAlive()) break;
            Thread.sleep(100);
        }
        throw new IllegalStateException("no '" + text + "' in the producer's output within " + timeout.toSeconds() + " s"
                + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")") + ":\n" + tail(60));
    }

    /** Waits until every health check passes (HTTP 200 from /healthcheck on the admin port). */
    public void awaitHealthy(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the producer exited with status " + process.exitValue() + " while starting; last lines of "
                        + log + ":\n" + tail(40));
            }
            try {
                HttpResponse<String> r = get("/healthcheck");
                if (r.statusCode() == 200) return;
                last = "HTTP " + r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the producer was not healthy after " + timeout.toSeconds() + " s: " + last
                + "\nlast lines of " + log + ":\n" + tail(40));
    }

    /** /metrics of the admin port (Dropwizard's JSON: gauges, counters, meters, histograms). */
    public JsonNode metrics() throws IOException, InterruptedException {
        HttpResponse<String> r = get("/metrics");
        if (r.statusCode() != 200) throw new IOException("GET /metrics: HTTP " + r.statusCode());
        return JSON.readTree(r.body());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        if (adminPort <= 0) throw new IllegalStateException("no admin port given to the builder");
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Waits for the exit; kills it by its PID and fails, with its output, when it has not exited in time. */
    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("the producer did not exit within " + timeout.toSeconds() + " s; output:\n" + tail(80));
        }
        return process.exitValue();
    }

    /** SIGTERM, as systemd or Ctrl-C sends it. */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL by its PID: no shutdown of any kind. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then SIGKILL if it has not exited within the grace period; the exit status. */
    public int stop(Duration grace) throws InterruptedException {
        ChildProcesses.stop(process, Math.max(1, grace.toSeconds()));
        return process.exitValue();
    }

    /** Its last "Stopped in" line, or null when it logged none. */
    public StopLine stopLine() {
        Matcher m = STOPPED.matcher(output());
        StopLine s = null;
        while (m.find()) {
            s = new StopLine(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), Long.parseLong(m.group(6)), Long.parseLong(m.group(7)));
        }
        return s;
    }

    /** The run id it logged when it started capturing. */
    public String runId() {
        Matcher m = RUN.matcher(output());
        if (!m.find()) throw new IllegalStateException("no run id in the producer's output:\n" + tail(40));
        return m.group(1);
    }

    /** Kills it if it still runs; removes its log when the builder chose the file. */
    @Override
    public void close() {
        if (process.isAlive()) process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ChildProcesses.forget(process);
        if (ownsLog) {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
