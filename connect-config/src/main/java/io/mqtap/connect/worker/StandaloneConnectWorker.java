package io.mqtap.connect.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
import java.util.stream.StreamSupport;

/**
 * A standalone Kafka Connect worker ({@code ConnectStandalone}) run as its own JVM: the worker classpath and
 * plugin directories that this module's build assembles, the worker and connector properties files, and the
 * {@code MQTAP_*} environment those files read through {@code ${env:...}}. Its REST listener is on 127.0.0.1.
 *
 * <p>{@link #close()} stops the child by its own pid (SIGTERM, then SIGKILL) and is idempotent; a JVM shutdown
 * hook does the same if the caller never gets there.
 */
public final class StandaloneConnectWorker implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path logFile;
    private final int restPort;
    private final Thread shutdownHook;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private StandaloneConnectWorker(Process process, Path logFile, int restPort) {
        this.process = process;
        this.logFile = logFile;
        this.restPort = restPort;
        this.shutdownHook = new Thread(this::stop, "connect-worker-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts the worker.
     *
     * @param workerLib      directory of the worker's jars ({@code target/worker-lib})
     * @param workerConfig   worker properties ({@code config/worker-standalone.properties}); run from a copy
     *                       next to {@code logFile} whose {@code plugin.path} is {@code pluginPath}
     * @param pluginPath     the plugin directories' parent ({@code target/plugins})
     * @param connectorConfigs connector properties files to run
     * @param env            environment for the child; must include every {@code MQTAP_*} variable the files read,
     *                       and {@code MQTAP_CONNECT_REST_PORT}
     * @param logFile        where the child's stdout and stderr go
     */
    public static StandaloneConnectWorker start(Path workerLib, Path workerConfig, Path pluginPath,
                                                List<Path> connectorConfigs, Map<String, String> env, Path logFile)
            throws IOException {
        String port = env.get("MQTAP_CONNECT_REST_PORT");
        if (port == null) {
            throw new IllegalArgumentException("env needs MQTAP_CONNECT_REST_PORT (the REST listener port on 127.0.0.1)");
        }
        List<String> cmd = ConnectWorkerJvm.command(workerLib, "org.apache.kafka.connect.cli.ConnectStandalone");
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        cmd.add(withPluginPath(workerConfig, pluginPath, logFile.toAbsolutePath().resolveSibling("worker.properties"))
                .toString());
        connectorConfigs.forEach(c -> cmd.add(c.toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        pb.environment().putAll(env);
        return new StandaloneConnectWorker(pb.start(), logFile, Integer.parseInt(port));
    }

    /** A copy of {@code workerConfig} at {@code copy} with its {@code plugin.path} line set to {@code pluginPath}. */
    static Path withPluginPath(Path workerConfig, Path pluginPath, Path copy) throws IOException {
        List<String> lines = new ArrayList<>();
        boolean replaced = false;
        for (String line : Files.readAllLines(workerConfig, StandardCharsets.UTF_8)) {
            if (line.startsWith("plugin.path=")) {
                line = "plugin.path=" + pluginPath.toAbsolutePath();
                replaced = true;
            }
            lines.add(line);
        }
        if (!replaced) {
            lines.add("plugin.path=" + pluginPath.toAbsolutePath());
        }
        Files.write(copy, lines, StandardCharsets.UTF_8);
        return copy;
    }

    /** Waits until the connector and all its tasks are RUNNING; fails early if the worker dies or one FAILED. */
    public void awaitRunning(String connector, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Connect worker exited with " + process.exitValue()
                        + " before " + connector + " ran; log tail:\n" + logTail(60));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(restUri("/connectors/" + connector + "/status"))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200) {
                    // {"connector": {"state": ...}, "tasks": [{"id": 0, "state": ...}, ...]}
                    JsonNode status = JSON.readTree(r.body());
                    List<String> states = new ArrayList<>();
                    states.add(status.path("connector").path("state").asText());
                    StreamSupport.stream(status.path("tasks").spliterator(), false)
                            .forEach(t -> states.add(t.path("state").asText()));
                    if (states.contains("FAILED")) {
                        throw new IllegalStateException("connector " + connector + " failed: " + r.body());
                    }
                    if (states.size() > 1 && states.stream().allMatch("RUNNING"::equals)) {
                        return;
                    }
                }
            } catch (java.net.ConnectException | java.net.http.HttpTimeoutException e) {
                last = e.toString(); // REST listener not up yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("connector " + connector + " not RUNNING within " + timeout + " (last status: "
                + last + "); log tail:\n" + logTail(60));
    }

    /** GET on the worker's REST API, e.g. {@code /connectors}. */
    public String get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(restUri(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    public URI restUri(String path) {
        return URI.create("http://127.0.0.1:" + restPort + path);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path logFile() {
        return logFile;
    }

    /** The last {@code lines} lines of the worker's log. */
    public String logTail(int lines) {
        return ConnectWorkerJvm.logTail(logFile, lines);
    }

    /** SIGTERM to the worker's own pid, SIGKILL after 20 s; idempotent. */
    public void stop() {
        ConnectWorkerJvm.stop(process);
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs stop() anyway
        }
    }

    /** The environment the shipped config files read, from named values; convenience for callers. */
    public static Map<String, String> environment(String bootstrap, int restPort, Path dataDir,
                                                  String apicurioUrl, String warehouse, long commitIntervalMs,
                                                  long commitTimeoutMs, int replicationFactor) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MQTAP_KAFKA_BOOTSTRAP", bootstrap);
        env.put("MQTAP_CONNECT_REST_PORT", Integer.toString(restPort));
        env.put("MQTAP_CONNECT_DATA_DIR", dataDir.toAbsolutePath().toString());
        env.put("MQTAP_APICURIO_URL", apicurioUrl);
        env.put("MQTAP_ICEBERG_WAREHOUSE", warehouse);
        env.put("MQTAP_ICEBERG_COMMIT_INTERVAL_MS", Long.toString(commitIntervalMs));
        env.put("MQTAP_ICEBERG_COMMIT_TIMEOUT_MS", Long.toString(commitTimeoutMs));
        env.put("MQTAP_REPLICATION_FACTOR", Integer.toString(replicationFactor));
        return env;
    }
}
