package io.mqtap.connect.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One worker of a distributed Kafka Connect cluster ({@code ConnectDistributed}, {@code config/worker-distributed.properties})
 * run as its own JVM, REST on 127.0.0.1: workers started with the same file and Kafka cluster form one group, share the
 * connectors' tasks and keep configs, offsets and status in Kafka. Connectors are submitted through the REST API
 * ({@link #putConnector}). {@link #kill()} is a SIGKILL to its own pid (a crash: no leave, no last commit);
 * {@link #close()} a SIGTERM. A JVM shutdown hook stops it if the caller never gets there.
 */
public final class DistributedConnectWorker implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path logFile;
    private final int restPort;
    private final Thread shutdownHook;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private DistributedConnectWorker(Process process, Path logFile, int restPort) {
        this.process = process;
        this.logFile = logFile;
        this.restPort = restPort;
        this.shutdownHook = new Thread(() -> ConnectWorkerJvm.stop(process), "connect-worker-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a worker.
     *
     * @param workerLib    directory of the worker's jars ({@code target/worker-lib})
     * @param workerConfig worker properties ({@code config/worker-distributed.properties}); run from a copy beside
     *                     {@code logFile} whose {@code plugin.path} is {@code pluginPath}
     * @param pluginPath   the plugin directories' parent ({@code target/plugins})
     * @param env          environment for the child: every {@code MQTAP_*} variable the worker file and the connectors
     *                     submitted to it read ({@link #environment})
     * @param logFile      where the child's stdout and stderr go
     */
    public static DistributedConnectWorker start(Path workerLib, Path workerConfig, Path pluginPath,
                                                 Map<String, String> env, Path logFile) throws IOException {
        String port = env.get("MQTAP_CONNECT_REST_PORT");
        if (port == null) {
            throw new IllegalArgumentException("env needs MQTAP_CONNECT_REST_PORT (the REST listener port on 127.0.0.1)");
        }
        List<String> cmd = ConnectWorkerJvm.command(workerLib, "org.apache.kafka.connect.cli.ConnectDistributed");
        Path log = logFile.toAbsolutePath();
        Files.createDirectories(log.getParent());
        cmd.add(StandaloneConnectWorker.withPluginPath(workerConfig, pluginPath,
                log.resolveSibling(log.getFileName() + ".properties")).toString());
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return new DistributedConnectWorker(pb.start(), log, Integer.parseInt(port));
    }

    /**
     * The environment the distributed worker file and the shipped connector files read: the standalone one's without
     * its offsets directory, plus how long the group waits for a departed worker before moving its tasks.
     */
    public static Map<String, String> environment(String bootstrap, int restPort, String apicurioUrl, String warehouse,
                                                  long commitIntervalMs, long commitTimeoutMs, int replicationFactor,
                                                  long rebalanceDelayMs) {
        Map<String, String> env = StandaloneConnectWorker.environment(bootstrap, restPort, Path.of("/"), apicurioUrl,
                warehouse, commitIntervalMs, commitTimeoutMs, replicationFactor);
        env.remove("MQTAP_CONNECT_DATA_DIR"); // no local state: offsets are in Kafka
        env.put("MQTAP_CONNECT_REBALANCE_DELAY_MS", Long.toString(rebalanceDelayMs));
        return env;
    }

    /** A connector properties file as the JSON object {@code PUT /connectors/<name>/config} takes; ${env:...} left as is. */
    public static Map<String, String> connectorConfig(Path propertiesFile) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(propertiesFile, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        Map<String, String> out = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    /** Waits until the REST API answers {@code GET /connectors}: the worker has joined its group and read the config topic. */
    public void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            failIfDead("its REST API answered");
            try {
                HttpResponse<String> r = send(HttpRequest.newBuilder(restUri("/connectors")).GET());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (java.net.ConnectException | java.net.http.HttpTimeoutException e) {
                last = e.toString(); // listener not up yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("Connect worker not ready within " + timeout + " (last: " + last + "); log tail:\n"
                + logTail(60));
    }

    /**
     * Creates or updates a connector ({@code PUT /connectors/<name>/config}), retried while the group is still
     * rebalancing (409) or the request cannot be forwarded to the leader yet (5xx).
     */
    public void putConnector(String name, Map<String, String> config, Duration timeout) throws IOException, InterruptedException {
        String body = JSON.writeValueAsString(config);
        long deadline = System.nanoTime() + timeout.toNanos();
        String last;
        do {
            failIfDead("it took connector " + name);
            HttpResponse<String> r = send(HttpRequest.newBuilder(restUri("/connectors/" + name + "/config"))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(body)));
            if (r.statusCode() == 200 || r.statusCode() == 201) {
                return;
            }
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() < 409 || r.statusCode() == 422) {
                throw new IllegalStateException("connector " + name + " refused: " + last);
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("connector " + name + " not accepted within " + timeout + " (last: " + last + ")");
    }

    /** {@code GET /connectors/<name>/status}, or null while the connector is unknown (404). */
    public JsonNode status(String connector) throws IOException, InterruptedException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(restUri("/connectors/" + connector + "/status")).GET());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    /** This worker's id in the status endpoint's {@code worker_id}: its advertised REST host and port. */
    public String workerId() {
        return "127.0.0.1:" + restPort;
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

    public String logTail(int lines) {
        return ConnectWorkerJvm.logTail(logFile, lines);
    }

    /** SIGKILL to the worker's own pid: it leaves neither its group nor its consumers' groups, and commits nothing more. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM (SIGKILL after 20 s); idempotent. */
    @Override
    public void close() {
        ConnectWorkerJvm.stop(process);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook stops it anyway
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void failIfDead(String what) {
        if (!process.isAlive()) {
            throw new IllegalStateException("Connect worker exited with " + process.exitValue() + " before " + what
                    + "; log tail:\n" + logTail(60));
        }
    }
}
