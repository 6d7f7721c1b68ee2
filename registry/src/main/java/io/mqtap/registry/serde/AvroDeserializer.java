package io.mqtap.registry.serde;

import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.SchemaRegistryClient;
import io.mqtap.registry.SchemaRegistryException;
import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka deserializer of the Confluent wire format into Avro records. The writer schema is fetched by its id
 * (once per id) and the data is resolved into the reader's schema, so old and new schema versions read each
 * other as far as Avro's resolution rules allow.
 *
 * <p>What is read into:
 * <ul>
 *   <li>a given specific class ({@link #AvroDeserializer(SchemaRegistryClient, Class)}): that class;</li>
 *   <li>{@code specific.avro.reader=true}: the generated class named like the writer schema;</li>
 *   <li>a reader schema ({@code avro.reader.schema} or the constructor): a GenericRecord of that schema;</li>
 *   <li>otherwise: a GenericRecord of the writer schema.</li>
 * </ul>
 * A bad magic byte, an unknown schema id or truncated bytes give a {@link SerializationException} that says which,
 * and so does a record past the limits ({@code avro.max.collection.items}, {@code avro.max.value.bytes}) or one the
 * JVM runs out of memory or stack on: a consumer skips or dead-letters it and reads on, never dies of it.
 */
public class AvroDeserializer<T> implements Deserializer<T> {
    private static final ThreadLocal<BinaryDecoder> DECODERS = new ThreadLocal<>();

    private SchemaRegistryClient client;
    private Class<?> specificClass;
    private Schema readerSchema;
    private boolean specificReader;
    private long maxItems;
    private int maxValueBytes;
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();

    /** For Kafka: call {@link #configure} before use. */
    public AvroDeserializer() {}

    /** Reads as the client's config says ({@code specific.avro.reader}, {@code avro.reader.schema}). */
    public AvroDeserializer(SchemaRegistryClient client) {
        this.client = Objects.requireNonNull(client, "client");
        this.specificReader = client.config().specificReader();
        this.readerSchema = client.config().readerSchema();
        limits(client.config());
    }

    /** Reads GenericRecords resolved into {@code readerSchema}. */
    public AvroDeserializer(SchemaRegistryClient client, Schema readerSchema) {
        this.client = Objects.requireNonNull(client, "client");
        this.readerSchema = Objects.requireNonNull(readerSchema, "readerSchema");
        limits(client.config());
    }

    /** Reads instances of a generated class, resolved into its schema. */
    public AvroDeserializer(SchemaRegistryClient client, Class<T> specificClass) {
        this.client = Objects.requireNonNull(client, "client");
        this.specificClass = Objects.requireNonNull(specificClass, "specificClass");
        this.specificReader = true;
        this.readerSchema = SpecificData.get().getSchema(specificClass);
        limits(client.config());
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (client == null) {
            RegistryConfig config = RegistryConfig.fromMap(configs);
            this.client = new SchemaRegistryClient(config);
            this.specificReader = config.specificReader();
            this.readerSchema = config.readerSchema();
            limits(config);
        }
    }

    private void limits(RegistryConfig config) {
        this.maxItems = config.maxCollectionItems();
        this.maxValueBytes = config.maxValueBytes();
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("AvroDeserializer is not configured: call configure(...) or pass a SchemaRegistryClient");
        }
        int id = WireFormat.schemaId(topic, data);
        DatumReader<T> reader = readers.get(id);
        if (reader == null) {
            reader = readerFor(topic, id);
        }
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, DECODERS.get());
        DECODERS.set(decoder);
        T value;
        try {
            value = reader.read(null, new BoundedDecoder(decoder, maxItems, maxValueBytes));
        } catch (DecodeLimitException e) {
            throw new SerializationException("Record past the limits" + WireFormat.on(topic) + " (schema id " + id + "): " + e.getMessage());
        } catch (OutOfMemoryError | StackOverflowError e) {
            // what was allocated for this record is garbage now: the consumer goes on with the next one
            throw new SerializationException("Record too big to decode" + WireFormat.on(topic) + " (schema id " + id + ", "
                + data.length + " bytes): " + e, e);
        } catch (EOFException | ArrayIndexOutOfBoundsException e) {
            throw new SerializationException("Truncated record" + WireFormat.on(topic) + ": its " + (data.length - WireFormat.HEADER_SIZE)
                + " bytes of Avro data end before the record of schema id " + id + " does", e);
        } catch (IOException | AvroRuntimeException | ClassCastException e) {
            throw new SerializationException("Corrupt Avro data" + WireFormat.on(topic) + " for schema id " + id + ": " + e, e);
        } catch (RuntimeException e) {
            // Avro's own length limits throw UnsupportedOperationException (a string "longer than 2147483639 bytes"),
            // and other corrupt input may surface as any runtime exception: a consumer must get a SerializationException
            throw new SerializationException("Corrupt Avro data" + WireFormat.on(topic) + " for schema id " + id + ": " + e, e);
        }
        try {
            if (!decoder.isEnd()) {
                throw new SerializationException("Corrupt record" + WireFormat.on(topic) + ": bytes left over after the record of schema id " + id
                    + " (" + data.length + " bytes in all): wrong schema id, or not Avro");
            }
        } catch (IOException e) {
            throw new SerializationException("Corrupt Avro data" + WireFormat.on(topic) + " for schema id " + id + ": " + e, e);
        }
        return value;
    }

    public SchemaRegistryClient client() {
        return client;
    }

    @SuppressWarnings("unchecked")
    private DatumReader<T> readerFor(String topic, int id) {
        Schema writer;
        try {
            writer = client.getById(id);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                throw new SerializationException("Unknown schema id " + id + WireFormat.on(topic) + ": the Schema Registry has no schema with this id ("
                    + "HTTP " + e.httpStatus() + (e.errorCode() >= 0 ? ", error_code " + e.errorCode() : "") + ": " + e.registryMessage() + ")", e);
            }
            throw new SerializationException("Failed to fetch writer schema id " + id + WireFormat.on(topic) + ": " + e.getMessage(), e);
        }
        DatumReader<T> reader;
        if (specificReader) {
            Class<?> cls = specificClass;
            Schema target = readerSchema;
            if (cls == null) {
                Schema named = target != null ? target : writer;
                if (target != null || TrustedClasses.ours(named)) TrustedClasses.trust(named);
                cls = SpecificData.get().getClass(named);
                if (cls == null) {
                    throw new SerializationException("specific.avro.reader=true, but no generated class " + (target != null ? target : writer).getFullName()
                        + " is on the classpath (schema id " + id + WireFormat.on(topic) + ")");
                }
            }
            SpecificData model = SpecificData.getForClass(cls); // the generated model carries the logical-type conversions
            if (target == null) {
                target = model.getSchema(cls);
            }
            TrustedClasses.trust(target);
            reader = new SpecificDatumReader<>(writer, target, model);
        } else {
            reader = new GenericDatumReader<>(writer, readerSchema != null ? readerSchema : writer, GenericData.get());
        }
        DatumReader<T> prior = readers.putIfAbsent(id, reader);
        return prior != null ? prior : reader;
    }

    @Override
    public void close() {
        // the client holds no resources that need closing
    }
}
