package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin surface by default: health, metrics and ping answer; Dropwizard's mutating tasks (gc, log-level), thread
 * dumps and CPU profiles are refused with 403. One admin connector is a Unix socket whose file is 0600.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminSurfaceTest {
    @TempDir static Path dir;
    private KafkaBroker broker;
    private DropwizardAppExtension<MqTapConfiguration> app;
    private Path socket;

    @BeforeAll
    void start() throws Exception {
        Kernel.assumeBpf();
        broker = KafkaBroker.start();
        socket = dir.resolve("admin.sock");
        String yaml = Files.readString(Path.of(ResourceHelpers.resourceFilePath("test-config.yml")))
                .replace("  adminConnectors:\n    - type: http\n      port: 0\n",
                        "  adminConnectors:\n    - type: http\n      port: 0\n    - type: unix\n      path: " + socket + "\n");
        assertThat(yaml).contains("type: unix");
        Path config = Files.writeString(dir.resolve("config.yml"), yaml);
        app = new DropwizardAppExtension<>(TestMqTapApplication.class, config.toString(),
                ConfigOverride.config("kafka.bootstrapServers", broker.bootstrapServers()),
                ConfigOverride.config("schemaRegistry.url", SchemaRegistryServer.shared().url()),
                // a spool of its own: the default is the installed service's /var/lib/mqtap/spool
                ConfigOverride.config("spool.dir", dir.resolve("spool").toString()));
        app.before();
    }

    @AfterAll
    void stop() {
        if (app != null) app.after();
        if (broker != null) broker.close();
    }

    @Test
    void mutatingAndCostlyEndpointsAreRefusedByDefault() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        // the extension's getAdminPort() expects TCP connectors only: find the admin one among TCP and Unix
        int port = java.util.Arrays.stream(((MqTapApplication) app.getApplication()).server().getConnectors())
                .filter(c -> c instanceof org.eclipse.jetty.server.ServerConnector && c.getName().startsWith("admin"))
                .mapToInt(c -> ((org.eclipse.jetty.server.ServerConnector) c).getLocalPort()).findFirst().orElseThrow();
        String admin = "http://127.0.0.1:" + port;
        for (String task : new String[] {"/tasks/gc", "/tasks/log-level?logger=io.mqtap&level=OFF"}) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(admin + task)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(task).isEqualTo(403);
            assertThat(r.body()).contains("security.operatorEndpoints");
        }
        for (String get : new String[] {"/threads", "/pprof", "/tasks"}) {
            assertThat(http.send(HttpRequest.newBuilder(URI.create(admin + get)).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as(get).isEqualTo(403);
        }
        // the level really stayed: a refused task changed nothing
        assertThat(org.slf4j.LoggerFactory.getLogger("io.mqtap").isInfoEnabled()).isTrue();
        for (String get : new String[] {"/healthcheck", "/metrics", "/ping", "/prometheus"}) {
            int status = http.send(HttpRequest.newBuilder(URI.create(admin + get)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
            assertThat(status).as(get).isIn(200, 500); // 500: a health check may be unhealthy, it still answers
        }
    }

    @Test
    void theUnixSocketIsOwnerOnlyAndServesTheAdminEndpoints() throws Exception {
        assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(get(socket, "/ping")).startsWith("HTTP/1.1 200").contains("pong");
        assertThat(get(socket, "/tasks/gc")).startsWith("HTTP/1.1 403");
    }

    private static String get(Path socket, String path) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            while (ch.read(buf) >= 0 && buf.hasRemaining()) { }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        }
    }
}
