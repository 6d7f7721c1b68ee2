package io.mqtap.registry.serde;

import io.mqtap.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link AvroSerializer} and {@link AvroDeserializer} as one Kafka Streams {@link Serde}. Created with the
 * no-arg constructor it needs {@link #configure}; for generated classes pass {@code specific.avro.reader=true}
 * or use {@link #AvroSerde(SchemaRegistryClient, Class)}.
 */
public class AvroSerde<T> implements Serde<T> {
    private final AvroSerializer<T> serializer;
    private final AvroDeserializer<T> deserializer;

    public AvroSerde() {
        this.serializer = new AvroSerializer<>();
        this.deserializer = new AvroDeserializer<>();
    }

    /** Reads as the client's config says (generic unless {@code specific.avro.reader=true}). */
    public AvroSerde(SchemaRegistryClient client, boolean isKey) {
        this.serializer = new AvroSerializer<>(client, isKey);
        this.deserializer = new AvroDeserializer<>(client);
    }

    /** Value serde for a generated class. */
    public AvroSerde(SchemaRegistryClient client, Class<T> specificClass) {
        this(client, specificClass, false);
    }

    /**
     * Serde for a generated class, as key ({@code <topic>-key} subjects under the topic strategy) or value.
     * Kafka Streams does not call {@link #configure} on serdes handed to it as instances, so say it here.
     */
    public AvroSerde(SchemaRegistryClient client, Class<T> specificClass, boolean isKey) {
        this.serializer = new AvroSerializer<>(client, isKey);
        this.deserializer = new AvroDeserializer<>(client, specificClass);
    }

    /** Value serde for GenericRecords resolved into {@code readerSchema}. */
    public AvroSerde(SchemaRegistryClient client, Schema readerSchema) {
        this.serializer = new AvroSerializer<>(client, false);
        this.deserializer = new AvroDeserializer<>(client, readerSchema);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }

    @Override
    public void close() {
        serializer.close();
        deserializer.close();
    }
}
