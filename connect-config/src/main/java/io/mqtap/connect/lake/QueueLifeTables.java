package io.mqtap.connect.lake;

import io.mqtap.avro.MqAccess;
import io.mqtap.avro.MqNotify;
import io.mqtap.avro.MqSetAttr;
import io.mqtap.avro.MqTransfer;
import io.mqtap.avro.MqUnlink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.avro.AvroSchemaUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Types;

/**
 * The Iceberg tables of the rest of a queue's life, one per record type and topic, which one sink connector
 * ({@code config/iceberg-sink-life.properties}) fills: each record type's Avro schema as columns (same names), every
 * {@code timestamp-micros} field as {@code timestamptz}, one more column {@link #TOPIC_COLUMN} (the Kafka topic a row
 * came from: the sink routes each record to its table by it), partitioned by {@code day(timestamp)}, keyed on the
 * dedup key as {@link MqOpenTable} is.
 *
 * <p>Command line: {@code QueueLifeTables <iceberg-sink-life.properties>} creates every table the file's
 * {@code iceberg.tables} lists (and their namespace) if missing.
 */
public final class QueueLifeTables {
    /** The column the sink's static routing reads: the record's Kafka topic (InsertField's topic.field). */
    public static final String TOPIC_COLUMN = "kafkaTopic";

    /** Table name (in the namespace) to the Avro schema of its record type, and the topic it is filled from. */
    public record Kind(String table, org.apache.avro.Schema avro, String topic) {}

    public static final List<Kind> KINDS = List.of(
            new Kind("mq_unlink", MqUnlink.getClassSchema(), "mq-unlink-events"),
            new Kind("mq_notify", MqNotify.getClassSchema(), "mq-notify-events"),
            new Kind("mq_setattr", MqSetAttr.getClassSchema(), "mq-setattr-events"),
            new Kind("mq_access", MqAccess.getClassSchema(), "mq-access-events"),
            new Kind("mq_transfer", MqTransfer.getClassSchema(), "mq-transfer-events"));

    private QueueLifeTables() {}

    /**
     * The table schema of one record type: its fields in order, optional where the Avro field is nullable, every
     * {@code timestamp-micros} top-level field a {@code timestamptz}, then {@link #TOPIC_COLUMN}; keyed on the dedup key.
     */
    public static Schema schema(org.apache.avro.Schema avro) {
        Schema fromAvro = AvroSchemaUtil.toIceberg(avro);
        if (fromAvro.findField(MqOpenTable.TIMESTAMP_COLUMN) == null) {
            throw new IllegalStateException(avro.getName() + " has no field named '" + MqOpenTable.TIMESTAMP_COLUMN + "'");
        }
        List<Types.NestedField> columns = new ArrayList<>();
        for (Types.NestedField f : fromAvro.columns()) {
            columns.add(f.type() instanceof Types.TimestampType
                    ? Types.NestedField.of(f.fieldId(), f.isOptional(), f.name(), Types.TimestampType.withZone(), f.doc())
                    : f);
        }
        columns.add(Types.NestedField.optional(fromAvro.highestFieldId() + 1, TOPIC_COLUMN, Types.StringType.get(),
                "The Kafka topic the record was read from (how the sink routes it to this table)."));
        Set<Integer> key = new HashSet<>();
        for (String name : MqOpenTable.DEDUP_KEY) key.add(fromAvro.findField(name).fieldId());
        return new Schema(columns, key);
    }

    /** The timestamp-micros fields of a record type, which the sink's MicrosToIsoTimestamp must rewrite. */
    public static List<String> timestampFields(org.apache.avro.Schema avro) {
        return schema(avro).columns().stream().filter(f -> f.type() instanceof Types.TimestampType).map(Types.NestedField::name).toList();
    }

    /** Creates each table of {@code namespace} (and the namespace) that is missing; returns them by table name. */
    public static Map<String, Table> createIfMissing(Catalog catalog, Namespace namespace) {
        if (catalog instanceof SupportsNamespaces ns && !namespace.isEmpty() && !ns.namespaceExists(namespace)) {
            ns.createNamespace(namespace);
        }
        Map<String, Table> out = new LinkedHashMap<>();
        for (Kind k : KINDS) {
            TableIdentifier id = TableIdentifier.of(namespace, k.table());
            if (catalog.tableExists(id)) {
                out.put(k.table(), catalog.loadTable(id));
                continue;
            }
            Schema schema = schema(k.avro());
            out.put(k.table(), catalog.buildTable(id, schema)
                    .withPartitionSpec(PartitionSpec.builderFor(schema).day(MqOpenTable.TIMESTAMP_COLUMN).build())
                    .withProperty(TableProperties.FORMAT_VERSION, "2")
                    .withProperty(TableProperties.DEFAULT_FILE_FORMAT, "parquet")
                    .create());
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: QueueLifeTables <iceberg-sink-life.properties>");
            System.exit(2);
        }
        Map<String, String> props = MqOpenTable.loadProperties(Path.of(args[0]), System::getenv,
                k -> k.startsWith("iceberg.catalog") || k.startsWith("iceberg.hadoop") || k.equals("iceberg.tables"));
        Set<Namespace> namespaces = new HashSet<>();
        for (String t : props.getOrDefault("iceberg.tables", "").split(",")) {
            if (!t.isBlank()) namespaces.add(TableIdentifier.parse(t.trim()).namespace());
        }
        if (namespaces.size() != 1) {
            throw new IllegalArgumentException(args[0] + ": iceberg.tables must name the tables of one namespace, got "
                    + props.get("iceberg.tables"));
        }
        Catalog catalog = MqOpenTable.catalog(props);
        createIfMissing(catalog, namespaces.iterator().next())
                .forEach((name, table) -> System.out.println("table " + table.name() + " at " + table.location() + ", partitioned by " + table.spec()));
        if (catalog instanceof AutoCloseable c) {
            c.close();
        }
    }
}
