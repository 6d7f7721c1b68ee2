package io.mqtap.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqtap.avro.MqOpen;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.time.Duration;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A registry that is down when the producer first needs it, comes up, and goes away again. */
@Tag("registry")
class RegistryDownTest {

    @Test
    void downAtFirstUseFailsClearlyThenRecoversAndIsOutOfTheHotPath() {
        try (SchemaRegistryServer server = SchemaRegistryServer.notStarted()) {
            RegistryConfig config = RegistryConfig.builder().url(server.url()).maxRetries(2)
                .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(50)).connectTimeout(Duration.ofSeconds(1)).build();
            AvroSerializer<MqOpen> ser = new AvroSerializer<>(new SchemaRegistryClient(config));
            String topic = "mq-open-events";

            assertThatThrownBy(() -> ser.serialize(topic, Samples.mqOpen(0)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("subject 'mq-open-events-value'")
                .hasMessageContaining("Schema Registry at " + server.url() + " unreachable")
                .hasMessageContaining("after 3 attempts")
                .hasMessageContaining("ConnectException")
                .cause().isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.isUnreachable()).isTrue();
                    assertThat(e.isRetriable()).isTrue();
                    assertThat(e.httpStatus()).isEqualTo(-1);
                });

            server.restart();
            byte[] bytes = ser.serialize(topic, Samples.mqOpen(1));
            AvroDeserializer<MqOpen> de = new AvroDeserializer<>(new SchemaRegistryClient(config), MqOpen.class);
            assertThat(de.deserialize(topic, bytes)).isEqualTo(Samples.mqOpen(1));

            server.stop();
            // known schemas need no registry: the serializer and a warmed deserializer go on working
            assertThat(de.deserialize(topic, ser.serialize(topic, Samples.mqOpen(2)))).isEqualTo(Samples.mqOpen(2));
            // a reader that has not seen the id yet says what it could not do
            AvroDeserializer<MqOpen> cold = new AvroDeserializer<>(new SchemaRegistryClient(config), MqOpen.class);
            assertThatThrownBy(() -> cold.deserialize(topic, bytes)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("Failed to fetch writer schema id").hasMessageContaining("unreachable");
        }
    }
}
