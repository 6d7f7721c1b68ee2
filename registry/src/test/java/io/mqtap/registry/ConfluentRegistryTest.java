package io.mqtap.registry;

import org.junit.jupiter.api.Tag;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.ConfluentKafkaContainer;

/**
 * The same registry contract against Confluent's own Schema Registry (and the Kafka it stores schemas in),
 * through Testcontainers. Skipped where there is no Docker engine, as on the build machines here.
 */
@Tag("docker")
@Testcontainers(disabledWithoutDocker = true)
class ConfluentRegistryTest extends SchemaRegistryContract {
    private static final String CONFLUENT_VERSION = "7.9.0";
    private static final Network NETWORK = Network.newNetwork();

    @Container
    static final ConfluentKafkaContainer KAFKA = new ConfluentKafkaContainer("confluentinc/cp-kafka:" + CONFLUENT_VERSION)
        .withNetwork(NETWORK)
        .withListener("kafka:19092");

    @Container
    static final GenericContainer<?> REGISTRY = new GenericContainer<>("confluentinc/cp-schema-registry:" + CONFLUENT_VERSION)
        .withNetwork(NETWORK)
        .dependsOn(KAFKA)
        .withExposedPorts(8081)
        .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
        .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
        .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
        .withEnv("SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL", "backward") // as the Apicurio run is configured
        .waitingFor(Wait.forHttp("/subjects").forStatusCode(200));

    @Override
    protected String url() {
        return "http://" + REGISTRY.getHost() + ":" + REGISTRY.getMappedPort(8081);
    }
}
