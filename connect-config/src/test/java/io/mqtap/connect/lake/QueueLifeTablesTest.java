package io.mqtap.connect.lake;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqAccess;
import io.mqtap.connect.worker.StandaloneConnectWorker;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue-life tables' schemas, and the shipped connector file that routes each topic to its table. */
class QueueLifeTablesTest {
    private static final Path CONFIG = Path.of(System.getProperty("mqtap.connect.config", "config"));

    @Test
    void everyTimestampIsATimestamptzThenTheTopicColumnKeyedOnTheDedupKey() {
        Schema s = QueueLifeTables.schema(MqAccess.getClassSchema());
        assertThat(QueueLifeTables.timestampFields(MqAccess.getClassSchema()))
                .containsExactly("timestamp", "windowStart", "windowEnd", "firstCall", "lastCall");
        for (String t : QueueLifeTables.timestampFields(MqAccess.getClassSchema()))
            assertThat(((Types.TimestampType) s.findField(t).type()).shouldAdjustToUTC()).as(t).isTrue();
        assertThat(s.columns().get(s.columns().size() - 1).name()).isEqualTo(QueueLifeTables.TOPIC_COLUMN);
        assertThat(s.columns()).hasSize(MqAccess.getClassSchema().getFields().size() + 1);
        assertThat(s.identifierFieldNames()).containsExactlyInAnyOrder("machineId", "runId", "sequence");
        assertThat(s.findField("errors").type().isMapType()).isTrue();
    }

    @Test
    void theShippedFileMapsEachTopicToItsTableAndRewritesEveryTimestamp(@TempDir Path dir) throws Exception {
        Map<String, String> env = StandaloneConnectWorker.environment("127.0.0.1:9092", 8083, dir, "http://r/apis/registry/v2",
                "file://" + dir.resolve("w"), 2000, 20000, 1);
        Map<String, String> p = MqOpenTable.loadProperties(CONFIG.resolve("iceberg-sink-life.properties"), env::get);
        List<String> tables = Arrays.stream(p.get("iceberg.tables").split(",")).map(String::trim).toList();
        assertThat(tables).containsExactlyElementsOf(QueueLifeTables.KINDS.stream().map(k -> "mqtap." + k.table()).toList());
        assertThat(p.get("topics").split(",")).containsExactlyElementsOf(QueueLifeTables.KINDS.stream().map(QueueLifeTables.Kind::topic).toList());
        assertThat(p.get("iceberg.tables.route-field")).isEqualTo(QueueLifeTables.TOPIC_COLUMN);
        assertThat(p.get("transforms.topic.topic.field")).isEqualTo(QueueLifeTables.TOPIC_COLUMN);
        for (QueueLifeTables.Kind k : QueueLifeTables.KINDS)
            assertThat(p.get("iceberg.table.mqtap." + k.table() + ".route-regex")).as(k.table()).isEqualTo(k.topic());
        Set<String> timestamps = new TreeSet<>();
        QueueLifeTables.KINDS.forEach(k -> timestamps.addAll(QueueLifeTables.timestampFields(k.avro())));
        assertThat(new TreeSet<>(List.of(p.get("transforms.timestampIso.fields").split(",")))).isEqualTo(timestamps);

        // the tables, created from the same file's catalog keys, twice (the second time they exist)
        Catalog catalog = MqOpenTable.catalog(p);
        Map<String, Table> made = QueueLifeTables.createIfMissing(catalog, Namespace.of("mqtap"));
        Map<String, Table> again = QueueLifeTables.createIfMissing(catalog, Namespace.of("mqtap"));
        assertThat(made).hasSize(5);
        made.forEach((name, t) -> {
            assertThat(again.get(name).uuid()).isEqualTo(t.uuid());
            assertThat(t.spec().fields()).singleElement().satisfies(f -> assertThat(f.transform().toString()).isEqualTo("day"));
        });
        ((AutoCloseable) catalog).close();
    }
}
