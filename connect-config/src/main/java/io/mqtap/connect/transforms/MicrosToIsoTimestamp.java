package io.mqtap.connect.transforms;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.connect.components.Versioned;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * Turns top-level {@code long} fields holding Avro {@code timestamp-micros} values into ISO-8601 UTC strings
 * with all six fraction digits ({@code 2026-11-29T02:00:00.123456Z}).
 *
 * <p>Why: Avro-to-Connect converters map {@code timestamp-micros} to a plain INT64 (Connect's own
 * {@code Timestamp} is a millisecond {@code java.util.Date}), and the Iceberg sink reads a number bound for a
 * {@code timestamptz} column as milliseconds. A string is the one form it parses with microseconds intact.
 */
public final class MicrosToIsoTimestamp<R extends ConnectRecord<R>> implements Transformation<R>, Versioned {
    public static final String FIELDS_CONFIG = "fields";
    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(FIELDS_CONFIG, ConfigDef.Type.LIST, List.of("timestamp"), ConfigDef.Importance.HIGH,
                    "Top-level INT64 fields holding microseconds since the Unix epoch, to rewrite as ISO-8601 UTC strings.");

    private static final DateTimeFormatter ISO_MICROS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSX").withZone(ZoneOffset.UTC);

    private Set<String> fields = Set.of("timestamp");
    // value schemas of one topic rarely change; the map holds one entry per writer schema seen
    private final Map<Schema, Schema> converted = new ConcurrentHashMap<>();

    @Override
    public void configure(Map<String, ?> props) {
        AbstractConfig config = new AbstractConfig(CONFIG_DEF, props);
        fields = Set.copyOf(config.getList(FIELDS_CONFIG));
    }

    @Override
    public R apply(R record) {
        if (record.value() == null) {
            return record; // a tombstone carries nothing to convert
        }
        if (!(record.value() instanceof Struct value)) {
            throw new DataException("MicrosToIsoTimestamp needs a Struct value with a schema, got "
                    + record.value().getClass().getName());
        }
        Schema newSchema = converted.computeIfAbsent(value.schema(), this::convertSchema);
        Struct out = new Struct(newSchema);
        for (Field field : value.schema().fields()) {
            Object v = value.get(field);
            if (fields.contains(field.name()) && v != null) {
                v = format((Long) v);
            }
            out.put(field.name(), v);
        }
        return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(), record.key(),
                newSchema, out, record.timestamp(), record.headers());
    }

    /** Microseconds since the epoch as {@code yyyy-MM-ddTHH:mm:ss.ffffffZ}. */
    public static String format(long micros) {
        Instant instant = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                Math.floorMod(micros, 1_000_000L) * 1_000L);
        return ISO_MICROS.format(instant);
    }

    private Schema convertSchema(Schema schema) {
        SchemaBuilder builder = SchemaBuilder.struct().name(schema.name()).version(schema.version()).doc(schema.doc());
        if (schema.parameters() != null) {
            builder.parameters(schema.parameters());
        }
        if (schema.isOptional()) {
            builder.optional();
        }
        for (Field field : schema.fields()) {
            Schema fs = field.schema();
            if (fields.contains(field.name())) {
                if (fs.type() != Schema.Type.INT64) {
                    throw new DataException("field '" + field.name() + "' is " + fs.type() + ", expected INT64 microseconds");
                }
                SchemaBuilder s = SchemaBuilder.string().doc(fs.doc());
                builder.field(field.name(), fs.isOptional() ? s.optional().build() : s.build());
            } else {
                builder.field(field.name(), fs);
            }
        }
        return builder.build();
    }

    @Override
    public ConfigDef config() {
        return CONFIG_DEF;
    }

    @Override
    public String version() {
        return "0.1.0";
    }

    @Override
    public void close() {
        converted.clear();
    }
}
