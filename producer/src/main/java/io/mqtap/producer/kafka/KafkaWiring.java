package io.mqtap.producer.kafka;

import io.mqtap.avro.MqOpenStats;
import io.mqtap.producer.config.KafkaFactory;
import io.mqtap.producer.config.SchemaRegistryFactory;
import io.mqtap.producer.core.HostIdentity;
import io.mqtap.producer.core.RecordType;
import io.mqtap.registry.serde.AvroSerializer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The one place that binds mqtap's topics to their serializers and builds the Kafka clients. */
public final class KafkaWiring {
    private final KafkaFactory kafka;
    private final SchemaRegistryFactory registry;
    private final Map<String, Object> producerProps;
    private final AvroSerializer<SpecificRecord> values = new AvroSerializer<>();

    public KafkaWiring(KafkaFactory kafka, SchemaRegistryFactory registry, HostIdentity host) {
        this.kafka = kafka;
        this.registry = registry;
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

    /**
     * Resolves (registering when allowed) every record type's schema on its topic and the stats', so the hot path never
     * calls the registry: through the id cache in {@code cacheFile} (null: none), with the config's start jitter.
     */
    public CachedSchemaIds schemaIds(java.nio.file.Path cacheFile) {
        return new CachedSchemaIds(values, schemas(kafka), cacheFile == null ? null : new SchemaIdCache(cacheFile), registry.getUrl(),
                registry.getStartJitter().toMilliseconds());
    }

    /** A writer schema and the topic it is written to (its subject follows from the subject name strategy). */
    public record TopicSchema(String topic, Schema schema) {}

    /** Every writer schema this build sends, on its topic: each record type's, then the stats'. */
    public static List<TopicSchema> schemas(KafkaFactory kafka) {
        List<TopicSchema> all = new ArrayList<>();
        for (RecordType t : RecordType.values()) all.add(new TopicSchema(kafka.topicOf(t), t.schema()));
        all.add(new TopicSchema(kafka.getStatsTopic(), MqOpenStats.getClassSchema()));
        return all;
    }

    /** Each record type's topic by its schema's full name, for the publisher. */
    public Publisher.Topics topics() {
        return name -> kafka.topicOf(RecordType.ofName(name));
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
