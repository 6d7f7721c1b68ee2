package io.mqtap.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqtap.avro.MqOpen;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.hostile.CraftedRecords;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Crafted records (huge and negative counts and lengths, truncated, unknown schema id) against the serde in a
 * 64 MiB heap (this class runs in its own surefire execution with -Xmx64m): each one is a SerializationException
 * that names the limit or the damage, never an OutOfMemoryError, and real records read on afterwards.
 */
@Tag("registry")
class HostileRecordsTest {
    private static final String TOPIC = "mq-open-events";

    @Test
    void everyCraftedRecordIsASerializationExceptionInASmallHeap() {
        assertThat(Runtime.getRuntime().maxMemory()).as("this test runs with -Xmx64m").isLessThanOrEqualTo(64L << 20);
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.builder().url(SchemaRegistryServer.shared().url()).build());
        MqOpen real = Samples.mqOpen(1);
        real.setPodLabels(Map.of("app", "orders"));
        byte[] realBytes = new AvroSerializer<MqOpen>(client).serialize(TOPIC, real);
        Map<String, byte[]> crafted = CraftedRecords.against(real, realBytes, "flags", "name", "nameRaw", "podLabels");
        List<AvroDeserializer<?>> readers = List.of(new AvroDeserializer<>(client, MqOpen.class), new AvroDeserializer<GenericRecord>(client));
        for (AvroDeserializer<?> d : readers) {
            for (int round = 0; round < 3; round++) { // a leak per bad record would show in a small heap
                for (Map.Entry<String, byte[]> e : crafted.entrySet()) {
                    assertThatThrownBy(() -> d.deserialize(TOPIC, e.getValue())).as(e.getKey())
                            .isInstanceOf(SerializationException.class)
                            .hasMessageContainingAll("on topic " + TOPIC)
                            .message().containsAnyOf("Truncated", "Corrupt", "past the limits", "Unknown schema id", "Unknown magic byte");
                }
                assertThat(d.deserialize(TOPIC, realBytes)).as("a real record after the crafted ones").isNotNull();
            }
        }
    }

    @Test
    void theLimitsAreTheConsumersOwnAndNamed() {
        String url = SchemaRegistryServer.shared().url();
        SchemaRegistryClient fewItems = new SchemaRegistryClient(RegistryConfig.builder().url(url).decodeLimits(2, 1 << 20).build());
        byte[] three = new AvroSerializer<MqOpen>(fewItems).serialize(TOPIC, Samples.mqOpen(2)); // flags: three items
        assertThatThrownBy(() -> new AvroDeserializer<>(fewItems, MqOpen.class).deserialize(TOPIC, three))
                .isInstanceOf(SerializationException.class).hasMessageContaining("past the limits")
                .hasMessageContaining("more than 2 array and map items").hasMessageContaining(RegistryConfig.MAX_COLLECTION_ITEMS);
        SchemaRegistryClient shortValues = new SchemaRegistryClient(RegistryConfig.builder().url(url).decodeLimits(10, 16).build());
        assertThatThrownBy(() -> new AvroDeserializer<>(shortValues, MqOpen.class).deserialize(TOPIC, three))
                .isInstanceOf(SerializationException.class) // the hostname, build-7.example.net
                .hasMessageContaining("a string value of 19 bytes is longer than 16 (" + RegistryConfig.MAX_VALUE_BYTES + ")");
        // the defaults take the same record
        SchemaRegistryClient defaults = new SchemaRegistryClient(RegistryConfig.builder().url(url).build());
        assertThat(new AvroDeserializer<>(defaults, MqOpen.class).deserialize(TOPIC, three).getFlags()).hasSize(3);
    }
}
