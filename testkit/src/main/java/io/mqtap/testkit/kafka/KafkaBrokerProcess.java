package io.mqtap.testkit.kafka;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A KRaft node (broker and controller in one) as its own JVM on 127.0.0.1 with a fixed port and log dir, so a fault
 * test can SIGKILL or SIGSTOP it by its PID and start it again on the same data: alone ({@link #start}) or as one
 * node of a {@link KafkaCluster}. {@link #main} is the child; the parent launches it and waits until it answers.
 */
public final class KafkaBrokerProcess implements AutoCloseable {
    private final Path logDir;
    private final int nodeId;
    private final int port;
    private final int controllerPort;
    private final String clusterId;
    private final String voters;
    private final int replicas;
    private final String classpath;
    private final Path log;
    private Process process;

    KafkaBrokerProcess(Path logDir, int nodeId, int port, int controllerPort, String clusterId, String voters, int replicas,
                       String classpath, Path log) {
        this.logDir = logDir;
        this.nodeId = nodeId;
        this.port = port;
        this.controllerPort = controllerPort;
        this.clusterId = clusterId;
        this.voters = voters;
        this.replicas = replicas;
        this.classpath = classpath;
        this.log = log;
    }

    /** Starts a single-node broker JVM (classpath: testkit's runtime classpath, without Dropwizard) and waits until it is ready. */
    public static KafkaBrokerProcess start(Path logDir, int port, int controllerPort, String classpath, Path log)
            throws IOException, InterruptedException {
        KafkaBrokerProcess b = new KafkaBrokerProcess(logDir, 1, port, controllerPort, Uuid.randomUuid().toString(),
                "1@127.0.0.1:" + controllerPort, 1, classpath, log);
        b.restart();
        return b;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int nodeId() {
        return nodeId;
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL by its own PID: no shutdown, unflushed data is whatever the OS page cache kept. */
    public void kill() throws InterruptedException {
        if (process == null) return;
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGSTOP / SIGCONT by its own PID: a broker that stops answering without closing its sockets. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String sig) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
        if (k.waitFor() != 0) throw new IOException("kill -" + sig + " " + process.pid() + " failed");
    }

    /** Starts (again) on the same port and log dir; waits up to 120 s for it to answer. */
    public void restart() throws IOException, InterruptedException {
        launch();
        awaitReady();
    }

    /** Starts the JVM without waiting (a cluster's nodes need each other to be ready). */
    void launch() throws IOException, InterruptedException {
        if (alive()) kill();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", classpath, KafkaBrokerProcess.class.getName(), logDir.toString(), Integer.toString(port),
                Integer.toString(controllerPort), Integer.toString(nodeId), clusterId, voters, Integer.toString(replicas)));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Waits up to 120 s until this node answers with the cluster's brokers; kills it and fails when it does not. */
    void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000))) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) throw new IllegalStateException("the broker exited with " + process.exitValue() + "; see " + log);
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) return;
                } catch (Exception e) {
                    Thread.sleep(200);
                }
            }
        }
        kill();
        throw new IllegalStateException("the broker at " + bootstrapServers() + " was not ready within 120 s; see " + log);
    }

    @Override
    public void close() throws InterruptedException {
        if (process == null || !process.isAlive()) return;
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) kill();
    }

    /**
     * The child: {@code KafkaBrokerProcess <logDir> <port> <controllerPort> [<nodeId> <clusterId> <voters> <replicas>]};
     * formats the dir once, then serves.
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        int controller = Integer.parseInt(args[2]);
        int nodeId = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        String clusterId = args.length > 4 ? args[4] : Uuid.randomUuid().toString();
        String voters = args.length > 5 ? args[5] : "1@127.0.0.1:" + controller;
        int replicas = args.length > 6 ? Integer.parseInt(args[6]) : 1;
        Files.createDirectories(dir);
        // formatted once: a restart serves the same data
        if (!Files.exists(dir.resolve("meta.properties"))) KafkaBroker.format(dir, nodeId, clusterId, List.of());
        Properties p = KafkaBroker.node(nodeId, port, controller, voters, replicas, dir, List.of());
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(p, false), Time.SYSTEM);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            server.awaitShutdown();
        }, "broker-stop"));
        server.startup();
        System.out.println("kafka-broker-process ready on 127.0.0.1:" + port + " (node " + nodeId + ")");
        server.awaitShutdown();
    }
}
