package io.mqtap.connect.lake;

import io.mqtap.avro.MqOpen;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.avro.AvroSchemaUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Types;

/**
 * The Iceberg table the sink writes {@code mq-open-events} into: the {@code MqOpen} Avro schema as Iceberg
 * columns (same names), {@code timestamp} as {@code timestamptz} (microseconds), partitioned by
 * {@code day(timestamp)}.
 *
 * <p>The table is created here rather than by the sink's auto-create, because the sink derives column types
 * from the Connect schema, where {@code timestamp-micros} is only a long (see {@code MicrosToIsoTimestamp}).
 *
 * <p>Command line: {@code MqOpenTable <iceberg-sink.properties>} reads the sink's own {@code iceberg.catalog.*}
 * and {@code iceberg.tables} keys (with {@code ${env:NAME}} resolved from the environment) and creates the
 * namespace and table if they are missing.
 */
public final class MqOpenTable {
    public static final String TIMESTAMP_COLUMN = "timestamp";
    private static final Pattern ENV_VAR = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

    private MqOpenTable() {}

    /** MqOpen's dedup key: the table's identifier fields (mqtap delivers at-least-once; a resent record has the same key). */
    public static final List<String> DEDUP_KEY = List.of("machineId", "runId", "sequence");

    /**
     * The table schema: MqOpen's fields in order, optional where the Avro field is nullable, keyed (Iceberg
     * identifier fields) on the dedup key.
     */
    public static Schema schema() {
        Schema fromAvro = AvroSchemaUtil.toIceberg(MqOpen.getClassSchema());
        Types.NestedField ts = fromAvro.findField(TIMESTAMP_COLUMN);
        if (ts == null || !(ts.type() instanceof Types.TimestampType)) {
            throw new IllegalStateException("MqOpen has no timestamp-micros field named '" + TIMESTAMP_COLUMN + "'");
        }
        List<Types.NestedField> columns = fromAvro.columns().stream()
                .map(f -> f.fieldId() == ts.fieldId()
                        ? Types.NestedField.of(f.fieldId(), f.isOptional(), f.name(), Types.TimestampType.withZone(), f.doc())
                        : f)
                .toList();
        java.util.Set<Integer> key = new java.util.HashSet<>();
        for (String name : DEDUP_KEY) key.add(fromAvro.findField(name).fieldId());
        return new Schema(columns, key);
    }

    public static PartitionSpec partitionSpec(Schema schema) {
        return PartitionSpec.builderFor(schema).day(TIMESTAMP_COLUMN).build();
    }

    /** Creates the table (and its namespace) if missing; returns it either way. */
    public static Table createIfMissing(Catalog catalog, TableIdentifier id) {
        if (catalog.tableExists(id)) {
            return catalog.loadTable(id);
        }
        if (catalog instanceof SupportsNamespaces ns && !id.namespace().isEmpty()
                && !ns.namespaceExists(id.namespace())) {
            ns.createNamespace(id.namespace());
        }
        Schema schema = schema();
        return catalog.buildTable(id, schema)
                .withPartitionSpec(partitionSpec(schema))
                .withProperty(TableProperties.FORMAT_VERSION, "2")
                .withProperty(TableProperties.DEFAULT_FILE_FORMAT, "parquet")
                .create();
    }

    /** The catalog the sink's connector properties describe ({@code iceberg.catalog.*}, name {@code iceberg.catalog}). */
    public static Catalog catalog(Map<String, String> connectorProps) {
        Map<String, String> catalogProps = new HashMap<>();
        connectorProps.forEach((k, v) -> {
            if (k.startsWith("iceberg.catalog.")) {
                catalogProps.put(k.substring("iceberg.catalog.".length()), v);
            }
        });
        String name = connectorProps.getOrDefault("iceberg.catalog", "iceberg");
        Configuration hadoop = new Configuration();
        connectorProps.forEach((k, v) -> {
            if (k.startsWith("iceberg.hadoop.")) {
                hadoop.set(k.substring("iceberg.hadoop.".length()), v);
            }
        });
        return CatalogUtil.buildIcebergCatalog(name, catalogProps, hadoop);
    }

    /** Reads a properties file, resolving {@code ${env:NAME}} through {@code env}; an unset name is an error. */
    public static Map<String, String> loadProperties(Path file, UnaryOperator<String> env) throws IOException {
        return loadProperties(file, env, key -> true);
    }

    /** As {@link #loadProperties(Path, UnaryOperator)}, keeping only the keys {@code wanted} accepts. */
    public static Map<String, String> loadProperties(Path file, UnaryOperator<String> env,
                                                     java.util.function.Predicate<String> wanted) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        Map<String, String> out = new HashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (!wanted.test(key)) {
                continue;
            }
            Matcher m = ENV_VAR.matcher(p.getProperty(key));
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String value = env.apply(m.group(1));
                if (value == null) {
                    throw new IllegalArgumentException(file + ": " + key + " needs the environment variable " + m.group(1));
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(value));
            }
            m.appendTail(sb);
            out.put(key, sb.toString());
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: MqOpenTable <iceberg-sink.properties>");
            System.exit(2);
        }
        // only the catalog and table keys: the rest of the file's variables need not be set here
        Map<String, String> props = loadProperties(Path.of(args[0]), System::getenv,
                k -> k.startsWith("iceberg.catalog") || k.startsWith("iceberg.hadoop") || k.equals("iceberg.tables"));
        String tables = props.get("iceberg.tables");
        if (tables == null || tables.isBlank() || tables.contains(",")) {
            throw new IllegalArgumentException(args[0] + ": iceberg.tables must name exactly one table, got " + tables);
        }
        Catalog catalog = catalog(props);
        Table table = createIfMissing(catalog, TableIdentifier.parse(tables.trim()));
        System.out.println("table " + table.name() + " at " + table.location() + ", partitioned by " + table.spec());
        if (catalog instanceof AutoCloseable c) {
            c.close();
        }
    }
}
