package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.ConfluentKafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The end-to-end path against Confluent's own Kafka and Schema Registry images. Needs a Docker engine:
 * where there is none (as on the build machines here) JUnit skips it, saying so.
 */
@Tag("kernel")
@Tag("docker")
@Testcontainers(disabledWithoutDocker = true)
class ConfluentPlatformTest {
    private static final Network NET = Network.newNetwork();

    @Container
    static final ConfluentKafkaContainer KAFKA = new ConfluentKafkaContainer(DockerImageName.parse("confluentinc/cp-kafka:7.8.0"))
            .withNetwork(NET).withListener("kafka:19092");

    @Container
    static final GenericContainer<?> REGISTRY = new GenericContainer<>(DockerImageName.parse("confluentinc/cp-schema-registry:7.8.0"))
            .withNetwork(NET).dependsOn(KAFKA).withExposedPorts(8081)
            .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
            .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
            .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
            .waitingFor(Wait.forHttp("/subjects").forStatusCode(200));

    @Test
    void helperCallsArriveThroughConfluentsBrokerAndRegistry() throws Exception {
        Kernel.assumeBpf();
        String registry = "http://" + REGISTRY.getHost() + ":" + REGISTRY.getMappedPort(8081);
        try (ProducerApp app = ProducerApp.of(KAFKA.getBootstrapServers(), registry).start()) {
            String runId = app.runId();
            MqOpenHelper.HelperRun run = MqOpenHelper.run("name=confluent-check oflag=RDWR|CREAT mode=0600", "name=confluent-missing");
            List<ConsumerRecord<String, MqOpen>> rs = Records.read(KAFKA.getBootstrapServers(), registry, "mq-open-events",
                    got -> Records.events(got, runId).stream().filter(r -> r.getPid() == run.pid()).count() >= 2, Duration.ofSeconds(60));
            List<MqOpen> mine = Records.events(rs, runId).stream().filter(r -> r.getPid() == run.pid()).toList();
            assertThat(mine).hasSize(2);
            assertThat(mine.get(0).getName()).isEqualTo("confluent-check");
            assertThat(mine.get(1).getErrno()).isEqualTo("ENOENT");
        }
    }
}
