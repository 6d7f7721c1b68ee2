package io.mqtap.producer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqtap.avro.MqOpen;
import io.mqtap.producer.MqTapConfiguration;
import io.mqtap.producer.config.KafkaFactory;
import io.mqtap.producer.config.SchemaRegistryFactory;
import io.mqtap.producer.core.RecordType;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Against a real registry: the command registers every writer schema once; a host with autoRegister off then finds them. */
@Tag("registry")
class RegisterSchemasCommandTest {
    @Test
    void everyWriterSchemaIsRegisteredSoAHostWithoutAutoRegisterOnlyLooksThemUp() {
        SchemaRegistryServer registry = SchemaRegistryServer.shared();
        String prefix = "reg-" + UUID.randomUUID().toString().substring(0, 8) + "-"; // subjects of this test alone
        MqTapConfiguration config = new MqTapConfiguration();
        KafkaFactory kafka = new KafkaFactory();
        config.setKafka(kafka);
        kafka.setTopic(prefix + "mq-open-events");
        kafka.setStatsTopic(prefix + "mq-open-stats");
        SchemaRegistryFactory schemas = new SchemaRegistryFactory();
        schemas.setUrl(registry.url());
        schemas.setAutoRegister(false); // the fleet's setting: the command registers regardless
        config.setSchemaRegistry(schemas);

        // a host that may not register finds nothing before the command ran
        assertThatThrownBy(() -> hostLookup(schemas, kafka.getTopic())).isInstanceOf(SerializationException.class);

        List<RegisterSchemasCommand.Registered> first = RegisterSchemasCommand.register(config);
        assertThat(first).hasSize(RecordType.values().length + 1);
        assertThat(first).extracting(RegisterSchemasCommand.Registered::topic).contains(kafka.getTopic(), kafka.getStatsTopic());
        assertThat(first).allSatisfy(r -> assertThat(r.id()).isPositive());
        assertThat(RegisterSchemasCommand.register(config)).as("a second run changes nothing").isEqualTo(first);

        int mqOpen = first.stream().filter(r -> r.schema().equals(MqOpen.getClassSchema().getFullName())).findFirst().orElseThrow().id();
        assertThat(hostLookup(schemas, kafka.getTopic())).as("the host's lookup finds the registered id").isEqualTo(mqOpen);
    }

    private static int hostLookup(SchemaRegistryFactory schemas, String topic) {
        Map<String, Object> serde = new HashMap<>(schemas.serdeConfig());
        assertThat(serde).containsEntry(RegistryConfig.AUTO_REGISTER, false);
        try (AvroSerializer<SpecificRecord> values = new AvroSerializer<>()) {
            values.configure(serde, false);
            return values.schemaId(topic, MqOpen.getClassSchema());
        }
    }
}
