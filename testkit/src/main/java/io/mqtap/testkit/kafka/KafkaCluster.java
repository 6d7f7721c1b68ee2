package io.mqtap.testkit.kafka;

import io.mqtap.testkit.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;

/**
 * A KRaft cluster of {@link KafkaBrokerProcess} nodes (each broker and controller, each its own JVM, all on 127.0.0.1
 * with fixed ports and log dirs under one directory): topics get as many replicas as there are nodes and, from three
 * nodes on, {@code min.insync.replicas=2}. Each node can be SIGKILLed, paused and restarted by its own PID, and the
 * leader of a partition found, for fault scenarios.
 */
public final class KafkaCluster implements AutoCloseable {
    private final List<KafkaBrokerProcess> nodes;

    private KafkaCluster(List<KafkaBrokerProcess> nodes) {
        this.nodes = nodes;
    }

    /** Starts {@code size} nodes under {@code dir} (one log dir and one log file each) and waits until all answer. */
    public static KafkaCluster start(Path dir, int size, String classpath) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String clusterId = Uuid.randomUuid().toString();
        int[] ports = new int[size];
        int[] controllers = new int[size];
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < size; i++) {
            ports[i] = Ports.freeLoopbackPort();
            controllers[i] = Ports.freeLoopbackPort();
            if (i > 0) voters.append(',');
            voters.append(i + 1).append("@127.0.0.1:").append(controllers[i]);
        }
        List<KafkaBrokerProcess> nodes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            nodes.add(new KafkaBrokerProcess(dir.resolve("node-" + (i + 1)), i + 1, ports[i], controllers[i], clusterId,
                    voters.toString(), size, classpath, dir.resolve("node-" + (i + 1) + ".log")));
        }
        KafkaCluster c = new KafkaCluster(nodes);
        try {
            // all at once: a node is ready only once a majority of the controller quorum is up
            for (KafkaBrokerProcess n : nodes) n.launch();
            for (KafkaBrokerProcess n : nodes) n.awaitReady();
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Every node's address, as a client's bootstrap.servers. */
    public String bootstrapServers() {
        return nodes.stream().map(KafkaBrokerProcess::bootstrapServers).collect(Collectors.joining(","));
    }

    public List<KafkaBrokerProcess> nodes() {
        return List.copyOf(nodes);
    }

    /** The node with this id (1-based). */
    public KafkaBrokerProcess node(int nodeId) {
        return nodes.get(nodeId - 1);
    }

    /** The node that leads a partition now. */
    public KafkaBrokerProcess leaderOf(String topic, int partition) throws Exception {
        try (Admin admin = admin()) {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
            Node leader = d.partitions().get(partition).leader();
            if (leader == null) throw new IllegalStateException(topic + "-" + partition + " has no leader now");
            return node(leader.id());
        }
    }

    /** An Admin client on the nodes that are up; the caller closes it. */
    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    /** SIGKILL of every node, by their PIDs. */
    public void killAll() throws InterruptedException {
        for (KafkaBrokerProcess n : nodes) n.kill();
    }

    /** Starts every node that is not running again, on its data, and waits until all answer. */
    public void restartAll() throws IOException, InterruptedException {
        for (KafkaBrokerProcess n : nodes) {
            if (!n.alive()) n.launch();
        }
        for (KafkaBrokerProcess n : nodes) n.awaitReady();
    }

    /** SIGTERM to every node (SIGKILL after 30 s). */
    @Override
    public void close() throws InterruptedException {
        for (KafkaBrokerProcess n : nodes) n.close();
    }
}
