package io.mqtap.producer.kafka;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.producer.config.KafkaFactory;
import io.mqtap.producer.config.SchemaRegistryFactory;
import io.mqtap.producer.core.HostIdentity;
import io.mqtap.registry.serde.AvroSerializer;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The one place that binds mqtap's topics to their serializers and builds the Kafka clients. */
public final class KafkaWiring {
    private final KafkaFactory kafka;
    private final Map<String, Object> producerProps;
    private final AvroSerializer<SpecificRecord> values = new AvroSerializer<>();

    public KafkaWiring(KafkaFactory kafka, SchemaRegistryFactory registry, HostIdentity host) {
        this.kafka = kafka;
        this.producerProps = ProducerSettings.of(kafka, "mqtap-" + host.hostname());
        values.configure(registry.serdeConfig(), false);
    }

    /**
     * Keys are the host's machine id (UTF-8); values are Avro in the Confluent wire format, framed before they are
     * sent (the events come from the spool as Avro bodies; the stats are serialized by {@link #values()}).
     */
    public Producer<byte[], byte[]> producer() {
        return new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The serializer that resolves schema ids (registering when allowed) and frames the stats records. */
    public AvroSerializer<SpecificRecord> values() {
        return values;
    }

    /** Resolves (registering when allowed) both schemas, so the hot path never calls the registry. */
    public void registerSchemas() {
        values.schemaId(kafka.getTopic(), MqOpen.getClassSchema());
        values.schemaId(kafka.getStatsTopic(), MqOpenStats.getClassSchema());
    }

    /** The producer's connection and security settings, as an Admin client takes them. */
    public Map<String, Object> adminProperties() {
        Map<String, Object> admin = new HashMap<>();
        producerProps.forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k)) admin.put(k, v);
        });
        return admin;
    }
}
