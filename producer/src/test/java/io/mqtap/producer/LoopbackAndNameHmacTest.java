package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.ResourceHelpers;
import io.mqtap.avro.MqOpen;
import io.mqtap.producer.core.NameHmac;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The running app, from a config whose connectors name no bindHost: both listen on 127.0.0.1 only. And with
 * {@code privacy.nameHmacKey} set, queue names reach Kafka only as their keyed hash.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoopbackAndNameHmacTest {
    private static final String KEY = "test-name-key-" + UUID.randomUUID();
    private KafkaBroker broker;
    private SchemaRegistryServer registry;
    private ProducerApp app;

    @BeforeAll
    void start() throws Exception {
        Kernel.assumeBpf();
        // test-config.yml's connectors give only "port: 0"
        assertThat(Files.readString(Path.of(ResourceHelpers.resourceFilePath("test-config.yml")))).doesNotContain("bindHost");
        broker = KafkaBroker.start();
        registry = SchemaRegistryServer.shared();
        // only the helper's calls: another process's mq_open storm must not overflow the kernel buffer
        app = ProducerApp.of(broker.bootstrapServers(), registry.url()).set("privacy.nameHmacKey", KEY)
                .editConfig(c -> c.replace("  attachMode: auto\n", "  attachMode: auto\n  filters:\n    includeComms: [mq_open_helper]\n"))
                .start();
    }

    @AfterAll
    void stop() {
        if (app != null) app.close();
        if (broker != null) broker.close();
    }

    @Test
    void applicationAndAdminConnectorsListenOnLoopbackOnly() throws Exception {
        MqTapApplication mqtap = app.application();
        List<Integer> ports = new ArrayList<>();
        for (Connector c : mqtap.server().getConnectors()) {
            ServerConnector sc = (ServerConnector) c;
            assertThat(sc.getHost()).as(sc.getName()).isEqualTo("127.0.0.1");
            ports.add(sc.getLocalPort());
        }
        assertThat(ports).hasSize(2).contains(app.adminPort(), app.localPort());
        // what the kernel says: every listening socket on those ports is bound to 127.0.0.1, none to a wildcard
        for (int port : ports) {
            List<String> bound = listeningAddresses(port);
            assertThat(bound).as("listening sockets on port %d", port).isNotEmpty()
                    .allMatch(a -> a.equals("0100007F") || a.equals("0000000000000000FFFF00000100007F"));
        }
        // and from another address of this host, the admin port is closed
        for (InetAddress other : nonLoopbackAddresses()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(other, app.adminPort()), 1_000);
                throw new AssertionError("the admin port answered on " + other);
            } catch (IOException expected) {
                // refused
            }
        }
    }

    @Test
    void namesArePublishedAsTheirKeyedHash() throws Exception {
        String q = "secret-queue-" + UUID.randomUUID().toString().substring(0, 8);
        MqOpenHelper.HelperRun run = MqOpenHelper.run("name=" + q + " oflag=RDWR|CREAT mode=0600", "name=" + q + " oflag=RDONLY");
        String runId = app.runId();
        List<ConsumerRecord<String, MqOpen>> rs = Records.read(broker.bootstrapServers(), registry.url(), "mq-open-events",
                got -> Records.events(got, runId).stream().filter(r -> r.getPid() == run.pid()).count() >= 2, Duration.ofSeconds(60));
        List<MqOpen> mine = Records.events(rs, runId).stream().filter(r -> r.getPid() == run.pid()).toList();
        assertThat(mine).hasSize(2);
        byte[] digest = NameHmac.ofText(KEY).digest(q.getBytes(StandardCharsets.UTF_8));
        for (MqOpen r : mine) {
            assertThat(r.getName()).isEqualTo(NameHmac.ofText(KEY).label(digest));
            ByteBuffer raw = r.getNameRaw();
            byte[] b = new byte[raw.remaining()];
            raw.duplicate().get(b);
            assertThat(b).isEqualTo(digest);
        }
        // the name itself is nowhere in what reached Kafka
        assertThat(rs.stream().map(c -> c.value().toString()).filter(s -> s.contains(q))).isEmpty();
    }

    /** Local addresses (hex as /proc/net/tcp{,6} shows them) of the sockets listening on a port. */
    private static List<String> listeningAddresses(int port) throws IOException {
        List<String> out = new ArrayList<>();
        String hexPort = String.format(Locale.ROOT, "%04X", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(table)); // read once: sockets come and go between two reads
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                String[] local = f[1].split(":");
                if (local[1].equals(hexPort) && f[3].equals("0A")) out.add(local[0]);
            }
        }
        return out;
    }

    private static List<InetAddress> nonLoopbackAddresses() throws IOException {
        List<InetAddress> out = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nif.isUp() || nif.isLoopback()) continue;
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                if (!a.isLinkLocalAddress()) out.add(a);
            }
        }
        return out;
    }
}
