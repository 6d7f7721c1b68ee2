package io.mqtap.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command as a user runs it: its own JVM, a YAML config with ${ENV} values, SIGTERM to stop. */
@Tag("broker")
@Tag("registry")
@Tag("jvm")
@Timeout(120)
class MqTapStreamsAppCommandTest {
    @Test
    void runsFromAConfigFileAndStopsCleanlyOnSigterm(@TempDir Path dir) throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        SchemaRegistryServer registry = SchemaRegistryServer.shared();
        Path config = dir.resolve("streams.yml");
        Files.writeString(config, """
                application.id: mqtap-streams-command-test
                bootstrap.servers: ${KAFKA_BOOTSTRAP}
                schema.registry.url: ${SCHEMA_REGISTRY_URL}
                state.dir: %s
                replication.factor: 1
                mqtap:
                  topic:
                    events: command-test-events
                    stats: command-test-stats
                    unlinks: command-test-unlinks
                    notifies: command-test-notifies
                    setattrs: command-test-setattrs
                    access: command-test-access
                    transfers: command-test-transfers
                  repartition:
                    partitions: 1
                  queries:
                    listen: 127.0.0.1:0
                """.formatted(dir.resolve("state")));
        try (var admin = broker.admin()) {
            // the producer creates its topics; Kafka Streams refuses to run without its source topics
            admin.createTopics(java.util.stream.Stream.of("events", "stats", "unlinks", "notifies", "setattrs", "access", "transfers")
                    .map(t -> new org.apache.kafka.clients.admin.NewTopic("command-test-" + t, 1, (short) 1)).toList()).all().get();
        }
        Path log = dir.resolve("app.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), MqTapStreamsApp.class.getName(), config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
        pb.environment().put("SCHEMA_REGISTRY_URL", registry.url());
        Process app = pb.start();
        try {
            await("the app RUNNING").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .failFast("the app exited", () -> !app.isAlive())
                    .until(() -> read(log).contains("-> RUNNING"));
            assertThat(read(log)).as("app log").contains("-> RUNNING");
            app.destroy(); // SIGTERM to the app's own pid
            assertThat(app.waitFor(45, TimeUnit.SECONDS)).as("stopped in time; log:%n%s", read(log)).isTrue();
            assertThat(read(log)).contains("stopping").contains("-> NOT_RUNNING");
        } finally {
            if (app.isAlive()) {
                app.destroyForcibly();
                app.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aBadConfigStopsTheStartWithTheKeyAndExitCode2(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("streams.properties");
        Files.writeString(config, "application.id=x\nbootstrap.servers=127.0.0.1:9\nschema.registry.url=http://127.0.0.1:9\n"
                + "mqtap.alert.rate.multiplier=lots\n");
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), MqTapStreamsApp.class.getName(), config.toString())
                .redirectErrorStream(true).start();
        assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(app.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(app.exitValue()).isEqualTo(2);
        // Kafka's ConfigDef wording: "Invalid value lots for configuration mqtap.alert.rate.multiplier: Not a number ..."
        assertThat(out).contains(config.toString()).contains("mqtap.alert.rate.multiplier").contains("Not a number");
    }

    private static String read(Path log) throws java.io.IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
