package io.mqtap.testkit.kafka;

import io.mqtap.testkit.Ports;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node KRaft Kafka (broker + controller in one) running inside this JVM, bound to 127.0.0.1.
 * Restartable on the same ports and log dir, so tests can take it away and bring it back.
 */
public final class KafkaBroker implements AutoCloseable {
    private static KafkaBroker shared;

    private final Path logDir;
    private final boolean ownsLogDir;
    private final int port;
    private final int controllerPort;
    private final Map<String, String> overrides;
    private final List<String> extraListeners;
    private final List<String> scramCredentials;
    private KafkaRaftServer server;

    private KafkaBroker(Path logDir, boolean ownsLogDir, int port, Map<String, String> overrides,
                        List<String> extraListeners, List<String> scramCredentials) {
        this.logDir = logDir;
        this.ownsLogDir = ownsLogDir;
        this.port = port;
        this.controllerPort = Ports.freeLoopbackPort();
        this.overrides = Map.copyOf(overrides);
        this.extraListeners = List.copyOf(extraListeners);
        this.scramCredentials = List.copyOf(scramCredentials);
    }

    /** Formats a fresh temporary log dir and starts a broker on a free port. */
    public static KafkaBroker start() {
        return start(Map.of());
    }

    /** As {@link #start()}, with extra broker properties (e.g. listeners for TLS or SASL tests). */
    public static KafkaBroker start(Map<String, String> overrides) {
        return start(overrides, List.of(), List.of());
    }

    /**
     * As {@link #start(Map)}, with listeners served (and advertised) beside the plaintext one the tests and
     * {@link #admin()} use, e.g. {@code SASL_SSL://127.0.0.1:<port>}, and SCRAM credentials created when the
     * log dir is formatted, as {@code kafka-storage format --add-scram} takes them, e.g.
     * {@code SCRAM-SHA-512=[name=alice,password=alice-secret]}. The overrides configure the listeners
     * (ssl.keystore.*, sasl.enabled.mechanisms, listener.name.sasl_ssl.*.sasl.jaas.config).
     */
    public static KafkaBroker start(Map<String, String> overrides, List<String> extraListeners, List<String> scramCredentials) {
        try {
            KafkaBroker b = new KafkaBroker(Files.createTempDirectory("mqtap-kafka-"), true, Ports.freeLoopbackPort(), overrides,
                    extraListeners, scramCredentials);
            b.format();
            b.startServer();
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to create the Kafka log dir", e);
        }
    }

    /** One broker per test JVM, stopped when the JVM exits. */
    public static synchronized KafkaBroker shared() {
        if (shared == null) {
            shared = start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "kafka-broker-stop"));
        }
        return shared;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** An Admin client for this broker; the caller closes it. */
    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    public synchronized boolean running() {
        return server != null;
    }

    /** Stops the broker, keeping its data, so {@link #restart()} brings the same cluster back. */
    public synchronized void stop() {
        if (server == null) return;
        server.shutdown();
        server.awaitShutdown();
        server = null;
    }

    public synchronized void restart() {
        stop();
        startServer();
    }

    @Override
    public synchronized void close() {
        stop();
        if (ownsLogDir) deleteRecursively(logDir);
    }

    private Properties properties() {
        Properties p = singleNode(port, controllerPort, logDir, extraListeners);
        p.putAll(overrides);
        return p;
    }

    /** A combined broker + controller on 127.0.0.1 whose internal topics have one replica. */
    static Properties singleNode(int port, int controllerPort, Path logDir, List<String> extraListeners) {
        return node(1, port, controllerPort, "1@127.0.0.1:" + controllerPort, 1, logDir, extraListeners);
    }

    /**
     * One combined broker + controller of a cluster of {@code replicas} such nodes on 127.0.0.1 (static quorum
     * {@code voters}: "1@127.0.0.1:port,2@..."): internal topics and new topics get that many replicas, and
     * min.insync.replicas is 2 once there are at least 3.
     */
    static Properties node(int nodeId, int port, int controllerPort, String voters, int replicas, Path logDir,
                           List<String> extraListeners) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(nodeId));
        String extra = extraListeners.stream().map(l -> "," + l).reduce("", String::concat);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort + extra);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + extra);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("controller.quorum.voters", voters);
        p.put("log.dirs", logDir.toString());
        String rf = Integer.toString(replicas);
        String minIsr = replicas >= 3 ? "2" : "1";
        p.put("offsets.topic.replication.factor", rf);
        p.put("transaction.state.log.replication.factor", rf);
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("share.coordinator.state.topic.replication.factor", rf);
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        p.put("default.replication.factor", rf);
        p.put("min.insync.replicas", minIsr);
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        return p;
    }

    private void format() {
        format(logDir, scramCredentials);
    }

    // Kafka's Formatter directly: StorageTool needs an argparse4j older than the one Dropwizard brings.
    static void format(Path logDir, List<String> scramCredentials) {
        format(logDir, 1, Uuid.randomUuid().toString(), scramCredentials);
    }

    /** Formats one node's log dir; every node of a cluster gets the same cluster id. */
    static void format(Path logDir, int nodeId, String clusterId, List<String> scramCredentials) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(log, true, StandardCharsets.UTF_8))
                    .setNodeId(nodeId)
                    .setClusterId(clusterId)
                    .setDirectories(List.of(logDir.toString()))
                    .setMetadataLogDirectory(logDir.toString())
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setWriteBootstrapSnapshot(true)
                    .setIgnoreFormatted(true)
                    .setScramArguments(scramCredentials)
                    .run();
        } catch (Exception e) {
            // the message never repeats the SCRAM arguments: they hold passwords
            throw new IllegalStateException("Failed to format the Kafka log dir " + logDir + ": " + e.getMessage()
                    + " " + log.toString(StandardCharsets.UTF_8), e);
        }
    }

    private void startServer() {
        KafkaRaftServer s = new KafkaRaftServer(KafkaConfig.fromProps(properties(), false), Time.SYSTEM);
        s.startup();
        server = s;
        awaitReady(Duration.ofSeconds(60));
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        try (Admin admin = admin()) {
            while (System.nanoTime() < deadline) {
                try {
                    if (!admin.describeCluster().nodes().get().isEmpty()) return;
                } catch (Exception e) {
                    last = new IllegalStateException(e.getMessage(), e);
                }
                sleep(100);
            }
        }
        throw new IllegalStateException("Kafka at " + bootstrapServers() + " not ready after " + timeout, last);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp dir left behind is not worth failing a test for
        }
    }
}
