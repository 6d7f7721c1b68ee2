package io.mqtap.registry.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.SchemaMetadata;
import io.mqtap.registry.SchemaRegistryClient;
import io.mqtap.registry.SchemaRegistryException;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serializer of Avro records (generated specific classes or {@link org.apache.avro.generic.GenericRecord})
 * to the Confluent wire format. The schema id is resolved once per (topic, schema) through the registry —
 * registered ({@code auto.register.schemas=true}, the default), looked up, or taken from the subject's latest
 * version ({@code use.latest.version=true}) — and after that a record costs one encoding into a reused
 * per-thread buffer and one copy into the result array; the registry is never called again for it.
 *
 * <p>Kafka creates it with the no-arg constructor and {@link #configure}; code may pass a client instead.
 */
public class AvroSerializer<T> implements Serializer<T> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private SchemaRegistryClient client;
    private boolean isKey;
    private final Map<Key, Resolved> resolved = new ConcurrentHashMap<>();
    private final Map<String, SchemaMetadata> latestBySubject = new ConcurrentHashMap<>();
    /** The last (topic, schema) used: a producer usually sends one record type to one topic. */
    private volatile Resolved last;

    /** For Kafka: call {@link #configure} before use. */
    public AvroSerializer() {}

    /** A value serializer using this client and its config. */
    public AvroSerializer(SchemaRegistryClient client) {
        this(client, false);
    }

    public AvroSerializer(SchemaRegistryClient client, boolean isKey) {
        this.client = Objects.requireNonNull(client, "client");
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        if (client == null) {
            this.client = new SchemaRegistryClient(RegistryConfig.fromMap(configs));
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (!(data instanceof GenericContainer container)) {
            throw new SerializationException("AvroSerializer writes Avro records (generated classes or GenericRecord), not "
                + data.getClass().getName());
        }
        Schema schema = container.getSchema();
        Resolved r = last;
        if (r == null || r.schema != schema || !Objects.equals(r.topic, topic)) {
            r = resolve(topic, schema, data);
            last = r;
        }
        Buffers b = BUFFERS.get();
        ByteSink out = b.sink;
        out.reset(WireFormat.HEADER_SIZE);
        WireFormat.writeHeader(out.buffer(), 0, r.id);
        try {
            (data instanceof SpecificRecord ? r.specificWriter : r.genericWriter).write(data, b.encoder);
            b.encoder.flush();
        } catch (IOException | RuntimeException e) {
            b.encoder = b.newEncoder(); // may hold half a record
            throw new SerializationException("Failed to encode a " + schema.getFullName() + WireFormat.on(topic)
                + " with schema id " + r.id + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /**
     * The schema id this serializer uses for {@code schema} on {@code topic}, resolving (registering) it now if
     * needed: call it at start-up so a registry problem shows then, and the first record costs no registry call.
     */
    public int schemaId(String topic, Schema schema) {
        return resolve(topic, schema, null).id;
    }

    public SchemaRegistryClient client() {
        return client;
    }

    private Resolved resolve(String topic, Schema schema, Object sample) {
        if (client == null) {
            throw new IllegalStateException("AvroSerializer is not configured: call configure(...) or pass a SchemaRegistryClient");
        }
        Key key = new Key(topic, schema);
        Resolved r = resolved.get(key);
        if (r != null) {
            return r;
        }
        synchronized (resolved) { // one registration per schema, not one per thread that meets it first
            r = resolved.get(key);
            return r != null ? r : resolveNew(key, topic, schema, sample);
        }
    }

    private Resolved resolveNew(Key key, String topic, Schema schema, Object sample) {
        Resolved r;
        RegistryConfig config = client.config();
        Subject named = subjectOf(topic, schema);
        String subject = named.name();
        Schema registered = named.registered();
        int id;
        try {
            id = schemaId(config, subject, registered);
        } catch (SchemaRegistryException e) {
            throw new SerializationException("Failed to " + (config.autoRegister() ? "register" : "look up") + " the schema of "
                + schema.getFullName() + WireFormat.on(topic) + " (subject '" + subject + "') in the Schema Registry: " + e.getMessage(), e);
        }
        if (!(sample instanceof SpecificRecordBase) && TrustedClasses.ours(schema)) TrustedClasses.trust(schema); // looked up by name below
        SpecificData model = sample instanceof SpecificRecordBase s ? s.getSpecificData() : SpecificData.getForSchema(schema);
        // both kinds, so a schema resolved ahead (schemaId) serves generated classes and GenericRecords alike;
        // the generated model carries the logical-type conversions (Instant for timestamp-micros)
        r = new Resolved(topic, schema, id, new SpecificDatumWriter<>(schema, model), new GenericDatumWriter<>(schema, GenericData.get()));
        Resolved prior = resolved.putIfAbsent(key, r);
        return prior != null ? prior : r;
    }

    /** A writer schema's subject and the schema as it is registered there (without the generator's Java properties when configured). */
    public record Subject(String name, Schema registered) {}

    /** The subject {@code schema} on {@code topic} is registered under, and what is registered: the registry's key for its id. */
    public Subject subjectOf(String topic, Schema schema) {
        if (client == null) {
            throw new IllegalStateException("AvroSerializer is not configured: call configure(...) or pass a SchemaRegistryClient");
        }
        RegistryConfig config = client.config();
        String subject;
        try {
            subject = config.subjectStrategy(isKey).subjectName(topic, isKey, schema);
        } catch (IllegalArgumentException e) {
            throw new SerializationException("Cannot name the subject of a " + schema.getFullName() + WireFormat.on(topic) + ": " + e.getMessage(), e);
        }
        return new Subject(subject, config.removeJavaProperties() ? withoutJavaProperties(schema) : schema);
    }

    private int schemaId(RegistryConfig config, String subject, Schema registered) {
        if (config.useLatestVersion()) {
            SchemaMetadata latest = latestBySubject.computeIfAbsent(subject, client::latest);
            if (SchemaNormalization.parsingFingerprint64(latest.schema()) == SchemaNormalization.parsingFingerprint64(registered)) {
                return latest.id();
            }
            // the record's schema is not the latest one: writing it under the latest id would mislabel the bytes
        }
        return config.autoRegister() ? client.register(subject, registered) : client.lookup(subject, registered);
    }

    /** The schema without the code generator's {@code avro.java.*} properties, which mean nothing to other readers. */
    static Schema withoutJavaProperties(Schema schema) {
        try {
            JsonNode tree = JSON.readTree(schema.toString());
            if (!strip(tree)) {
                return schema;
            }
            return new Schema.Parser().parse(JSON.writeValueAsString(tree));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean strip(JsonNode node) {
        boolean changed = false;
        if (node instanceof ObjectNode o) {
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().startsWith("avro.java.")) {
                    it.remove();
                    changed = true;
                } else {
                    changed |= strip(e.getValue());
                }
            }
        } else if (node instanceof ArrayNode a) {
            for (JsonNode n : a) {
                changed |= strip(n);
            }
        }
        return changed;
    }

    @Override
    public void close() {
        // the client holds no resources that need closing
    }

    private record Key(String topic, Schema schema) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.schema == schema && Objects.equals(k.topic, topic); // schema by identity: no deep compare per record
        }

        @Override
        public int hashCode() {
            return 31 * Objects.hashCode(topic) + System.identityHashCode(schema);
        }
    }

    private record Resolved(String topic, Schema schema, int id, DatumWriter<Object> specificWriter, DatumWriter<Object> genericWriter) {}

    /** Per thread: the sink and an encoder bound to it for good, so a record allocates only its result array and what Avro itself needs. */
    private static final class Buffers {
        final ByteSink sink = new ByteSink();
        BinaryEncoder encoder = newEncoder();

        BinaryEncoder newEncoder() {
            return EncoderFactory.get().binaryEncoder(sink, null);
        }
    }
}
