package io.mqtap.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.utils.converter.AvroConverter;
import io.mqtap.avro.MqOpen;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Interoperability with readers and writers nobody here wrote: Apicurio's own Kafka serdes and Connect
 * converter in their Confluent-compatible mode read mqtap's bytes, and mqtap reads theirs.
 */
@Tag("registry")
class ApicurioInteropTest {

    private static Map<String, Object> apicurioConfig() {
        Map<String, Object> c = new HashMap<>();
        c.put("apicurio.registry.url", SchemaRegistryServer.shared().coreApiUrl());
        c.put("apicurio.registry.as-confluent", true); // 4-byte ids in the Confluent wire format
        c.put("apicurio.registry.use-id", "contentId"); // the ids the ccompat API hands out
        c.put("apicurio.registry.headers.enabled", false); // the id in the payload, not in headers
        c.put("apicurio.registry.auto-register", true);
        return c;
    }

    private static SchemaRegistryClient client() {
        return new SchemaRegistryClient(RegistryConfig.builder().url(SchemaRegistryServer.shared().url()).build());
    }

    @Test
    void apicurioDeserializerReadsMqtapBytes() {
        String topic = Samples.unique("interop-read");
        MqOpen m = Samples.mqOpen(7);
        byte[] bytes = new AvroSerializer<MqOpen>(client()).serialize(topic, m);

        try (AvroKafkaDeserializer<GenericRecord> theirs = new AvroKafkaDeserializer<>()) {
            theirs.configure(apicurioConfig(), false);
            GenericRecord r = theirs.deserialize(topic, bytes);
            assertThat(r.getSchema().getFullName()).isEqualTo("io.mqtap.avro.MqOpen");
            assertThat(r.get("name")).hasToString("orders.in");
            assertThat(r.get("sequence")).isEqualTo(7L);
            assertThat(r.get("pid")).isEqualTo(4242L);
            assertThat(((List<?>) r.get("flags")).stream().map(Object::toString)).containsExactly("O_RDWR", "O_CREAT", "O_NONBLOCK");
            assertThat(((GenericRecord) r.get("attr")).get("msgsize")).isEqualTo(8192L);
            assertThat(r.get("errno")).isNull();
        }
    }

    @Test
    void apicurioConnectConverterReadsMqtapBytes() {
        String topic = Samples.unique("interop-connect");
        byte[] bytes = new AvroSerializer<MqOpen>(client()).serialize(topic, Samples.mqOpen(8));

        AvroConverter<Object> converter = new AvroConverter<>();
        converter.configure(apicurioConfig(), false);
        SchemaAndValue sv = converter.toConnectData(topic, bytes);
        Struct s = (Struct) sv.value();
        assertThat(s.getString("name")).isEqualTo("orders.in");
        assertThat(s.getInt64("sequence")).isEqualTo(8L);
        assertThat(s.getStruct("attr").getInt64("maxmsg")).isEqualTo(10L);
        assertThat(s.getArray("flags")).containsExactly("O_RDWR", "O_CREAT", "O_NONBLOCK");
    }

    @Test
    void mqtapReadsApicurioSerializerBytes() {
        String topic = Samples.unique("interop-write");
        MqOpen m = Samples.mqOpen(9);
        GenericRecord generic = SchemaRegistryContract.toGeneric(m, SchemaRegistryContract.withoutFields(MqOpen.getClassSchema()));
        byte[] bytes;
        try (AvroKafkaSerializer<GenericRecord> theirs = new AvroKafkaSerializer<>()) {
            theirs.configure(apicurioConfig(), false);
            bytes = theirs.serialize(topic, generic);
        }
        assertThat(bytes[0]).isEqualTo((byte) 0);
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();

        AvroDeserializer<MqOpen> ours = new AvroDeserializer<>(client(), MqOpen.class);
        assertThat(ours.deserialize(topic, bytes)).isEqualTo(m);
        // and the id it wrote is the one the Confluent API knows for that subject
        assertThat(client().latest(topic + "-value").id()).isEqualTo(id);
    }
}
