package io.mqtap.connect.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqtap.avro.MqOpen;
import io.mqtap.connect.worker.StandaloneConnectWorker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema.Field;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MqOpenTableTest {
    private static final Path CONFIG = Path.of(System.getProperty("mqtap.connect.config", "config"));

    @Test
    void everyMqOpenFieldIsAColumnWithItsNameAndNullability() {
        Schema schema = MqOpenTable.schema();
        assertThat(schema.columns()).extracting(Types.NestedField::name)
                .containsExactlyElementsOf(MqOpen.getClassSchema().getFields().stream().map(Field::name).toList());
        for (Field f : MqOpen.getClassSchema().getFields()) {
            boolean nullable = f.schema().isNullable();
            assertThat(schema.findField(f.name()).isOptional()).as(f.name()).isEqualTo(nullable);
        }
        assertThat(schema.findType("timestamp")).isEqualTo(Types.TimestampType.withZone());
        assertThat(schema.findType("nameRaw")).isEqualTo(Types.BinaryType.get());
        assertThat(schema.findType("flags").typeId()).isEqualTo(Type.TypeID.LIST);
        assertThat(schema.findType("attr").asStructType().fields()).extracting(Types.NestedField::name)
                .containsExactly("flags", "maxmsg", "msgsize", "curmsgs");
        assertThat(schema.findType("uid")).isEqualTo(Types.LongType.get());
        assertThat(schema.identifierFieldNames()).as("keyed on the dedup key").containsExactlyInAnyOrder("machineId", "runId", "sequence");
    }

    @Test
    void createsOncePartitionedByDayAndLoadsAfterwards(@TempDir Path dir) throws Exception {
        Map<String, String> props = Map.of("iceberg.catalog.type", "hadoop",
                "iceberg.catalog.warehouse", dir.toUri().toString());
        Catalog catalog = MqOpenTable.catalog(props);
        TableIdentifier id = TableIdentifier.of("mqtap", "mq_open");
        Table created = MqOpenTable.createIfMissing(catalog, id);
        assertThat(created.spec().fields()).singleElement().satisfies(f -> {
            assertThat(f.transform().toString()).isEqualTo("day");
            assertThat(created.schema().findColumnName(f.sourceId())).isEqualTo("timestamp");
        });
        assertThat(created.properties()).containsEntry("write.format.default", "parquet");
        Table again = MqOpenTable.createIfMissing(catalog, id);
        assertThat(again.uuid()).isEqualTo(created.uuid());
        ((AutoCloseable) catalog).close();
    }

    @Test
    void environmentVariablesInTheShippedConfigsAreExactlyTheLaunchersAndAllResolve(@TempDir Path dir) throws Exception {
        Map<String, String> env = StandaloneConnectWorker.environment("127.0.0.1:9092", 8083, dir, "http://r/apis/registry/v2",
                "file:///w", 2000, 20000, 1);
        Pattern var = Pattern.compile("\\$\\{env:([A-Za-z0-9_]+)}");
        java.util.Set<String> used = new java.util.TreeSet<>();
        for (String file : new String[] {"worker-standalone.properties", "iceberg-sink.properties"}) {
            for (String line : Files.readAllLines(CONFIG.resolve(file))) {
                Matcher m = var.matcher(line);
                while (!line.startsWith("#") && m.find()) {
                    used.add(m.group(1));
                }
            }
        }
        assertThat(used).isEqualTo(new java.util.TreeSet<>(env.keySet()));

        Map<String, String> sink = MqOpenTable.loadProperties(CONFIG.resolve("iceberg-sink.properties"), env::get);
        assertThat(sink).containsEntry("iceberg.kafka.bootstrap.servers", "127.0.0.1:9092")
                .containsEntry("iceberg.catalog.warehouse", "file:///w")
                .containsEntry("value.converter", "io.apicurio.registry.utils.converter.AvroConverter")
                .containsEntry("value.converter.apicurio.registry.as-confluent", "true")
                .containsEntry("value.converter.apicurio.registry.use-id", "contentId")
                .containsEntry("value.converter.apicurio.registry.headers.enabled", "false")
                .containsEntry("errors.tolerance", "all")
                .containsEntry("errors.deadletterqueue.topic.name", "mq-open-events-dlq")
                .containsEntry("iceberg.tables.default-partition-by", "day(timestamp)")
                .containsEntry("topics", "mq-open-events");
        Map<String, String> worker = MqOpenTable.loadProperties(CONFIG.resolve("worker-standalone.properties"), env::get);
        assertThat(worker).containsEntry("listeners", "http://127.0.0.1:8083")
                .containsEntry("plugin.discovery", "service_load");

        Map<String, String> missing = new HashMap<>(env);
        missing.remove("MQTAP_ICEBERG_WAREHOUSE");
        assertThatThrownBy(() -> MqOpenTable.loadProperties(CONFIG.resolve("iceberg-sink.properties"), missing::get))
                .hasMessageContaining("iceberg.catalog.warehouse").hasMessageContaining("MQTAP_ICEBERG_WAREHOUSE");
    }
}
