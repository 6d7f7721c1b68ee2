package io.mqtap.bench.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.mqtap.testkit.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One mqtap producer ({@code MqTapApplication server <config>}) as its own JVM with the producer module's runtime
 * classpath, its admin port on 127.0.0.1, its output in a log file; read through /metrics and /proc.
 */
final class MqTapProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern STOPPED = Pattern.compile("Stopped in (\\d+) ms: captured (\\d+), published (\\d+), "
            + "failed (\\d+), dropped (\\d+), lost in kernel (\\d+), last sequence (-?\\d+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** Counters and the latency histogram, as /metrics gives them at one moment. */
    record Snapshot(long captured, long published, long dropped, long failed, long lostKernel, long handoffDepth,
                    long inflight, long latencyCount, double p50Micros, double p99Micros) {}

    /** The producer's own account of its life, from the line it logs when it stops. */
    record StopLine(long millis, long captured, long published, long failed, long dropped, long lostKernel, long lastSequence) {}

    final String label;
    private final Process process;
    private final Path log;
    private final int adminPort;
    private StopLine stopLine;

    private MqTapProcess(String label, Process process, Path log, int adminPort) {
        this.label = label;
        this.process = process;
        this.log = log;
        this.adminPort = adminPort;
    }

    /** Writes the config (JSON, which YAML reads), starts the JVM and waits until every health check passes. */
    static MqTapProcess start(String label, Path dir, String classpath, List<String> jvmOpts, Map<String, Object> config)
            throws IOException, InterruptedException {
        int admin = Ports.freeLoopbackPort();
        @SuppressWarnings("unchecked")
        Map<String, Object> server = (Map<String, Object>) config.get("server");
        server.put("adminConnectors", List.of(Map.of("type", "http", "bindHost", "127.0.0.1", "port", admin)));
        Path yml = dir.resolve(label + ".yml");
        JSON.writeValue(yml.toFile(), config);
        Path log = dir.resolve(label + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOpts);
        cmd.addAll(List.of("-cp", classpath, "io.mqtap.producer.MqTapApplication", "server", yml.toString()));
        Process p = Children.track(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start());
        MqTapProcess m = new MqTapProcess(label, p, log, admin);
        m.awaitHealthy(Duration.ofSeconds(120));
        return m;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    private void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mqtap (" + label + ") exited with status " + process.exitValue()
                        + " while starting; last lines of " + log + ":\n" + tail(40));
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(admin("/healthcheck")))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
                last = "HTTP " + r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("mqtap (" + label + ") not healthy after " + timeout.toSeconds() + " s: " + last
                + "\nlast lines of " + log + ":\n" + tail(40));
    }

    private String admin(String path) {
        return "http://127.0.0.1:" + adminPort + path;
    }

    Snapshot metrics() throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(admin("/metrics")))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("GET /metrics: HTTP " + r.statusCode());
        JsonNode m = JSON.readTree(r.body());
        JsonNode lat = m.path("histograms").path("mqtap.latency.kernel_to_ack_micros");
        return new Snapshot(
                m.path("meters").path("mqtap.captured").path("count").asLong(),
                m.path("meters").path("mqtap.published").path("count").asLong(),
                m.path("counters").path("mqtap.dropped").path("count").asLong(),
                m.path("counters").path("mqtap.failed").path("count").asLong(),
                m.path("gauges").path("mqtap.lost.kernel").path("value").asLong(),
                m.path("gauges").path("mqtap.handoff.depth").path("value").asLong(),
                m.path("gauges").path("mqtap.inflight").path("value").asLong(),
                lat.path("count").asLong(), lat.path("p50").asDouble(), lat.path("p99").asDouble());
    }

    /** SIGTERM (the producer drains and flushes), then its stop line; null when it logged none. */
    StopLine stop() throws IOException {
        if (stopLine != null) return stopLine;
        Children.stop(process, 60);
        Matcher m = STOPPED.matcher(Files.readString(log));
        StopLine s = null;
        while (m.find()) {
            s = new StopLine(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), Long.parseLong(m.group(6)), Long.parseLong(m.group(7)));
        }
        stopLine = s;
        return s;
    }

    @Override
    public void close() throws IOException {
        stop();
    }

    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
