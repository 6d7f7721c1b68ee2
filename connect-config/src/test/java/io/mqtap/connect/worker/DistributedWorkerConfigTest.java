package io.mqtap.connect.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.connect.lake.MqOpenTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The shipped distributed worker file: what it sets, and the variables it and the connector files read are the launcher's. */
class DistributedWorkerConfigTest {
    private static final Path CONFIG = Path.of(System.getProperty("mqtap.connect.config", "config"));

    @Test
    void theDistributedWorkerFileReadsOnlyTheLaunchersVariablesAndSharesTheStandalonePlugins() throws Exception {
        Map<String, String> env = DistributedConnectWorker.environment("127.0.0.1:9092", 8083, "http://r/apis/registry/v2",
                "file:///w", 2000, 20000, 3, 3000);
        Pattern var = Pattern.compile("\\$\\{env:([A-Za-z0-9_]+)}");
        Set<String> used = new TreeSet<>();
        for (String file : new String[] {"worker-distributed.properties", "iceberg-sink.properties", "iceberg-sink-life.properties"}) {
            for (String line : Files.readAllLines(CONFIG.resolve(file))) {
                Matcher m = var.matcher(line);
                while (!line.startsWith("#") && m.find()) used.add(m.group(1));
            }
        }
        assertThat(used).isEqualTo(new TreeSet<>(env.keySet()));

        Map<String, String> worker = MqOpenTable.loadProperties(CONFIG.resolve("worker-distributed.properties"), env::get);
        assertThat(worker).containsEntry("group.id", "mqtap-connect")
                .containsEntry("config.storage.replication.factor", "3")
                .containsEntry("offset.storage.replication.factor", "3")
                .containsEntry("status.storage.replication.factor", "3")
                .containsEntry("scheduled.rebalance.max.delay.ms", "3000")
                .containsEntry("listeners", "http://127.0.0.1:8083")
                .doesNotContainKey("offset.storage.file.filename");
        // converters, plugins and flush timing are the standalone worker's
        Map<String, String> standalone = MqOpenTable.loadProperties(CONFIG.resolve("worker-standalone.properties"),
                k -> k.equals("MQTAP_CONNECT_DATA_DIR") ? "/d" : env.get(k));
        for (String key : List.of("key.converter", "value.converter", "plugin.path", "plugin.discovery", "offset.flush.interval.ms",
                "config.providers.env.param.allowlist.pattern", "rest.advertised.host.name", "bootstrap.servers")) {
            assertThat(worker.get(key)).as(key).isNotNull().isEqualTo(standalone.get(key));
        }
    }

    @Test
    void aConnectorFileBecomesItsRestConfigWithItsVariablesLeftForTheWorker() throws Exception {
        Map<String, String> json = DistributedConnectWorker.connectorConfig(CONFIG.resolve("iceberg-sink.properties"));
        assertThat(json).containsEntry("name", "mqtap-iceberg-sink")
                .containsEntry("connector.class", "org.apache.iceberg.connect.IcebergSinkConnector")
                .containsEntry("iceberg.catalog.warehouse", "${env:MQTAP_ICEBERG_WAREHOUSE}")
                .containsEntry("topics", "mq-open-events");
        Map<String, String> life = DistributedConnectWorker.connectorConfig(CONFIG.resolve("iceberg-sink-life.properties"));
        assertThat(life).containsEntry("transforms.topic.type", "org.apache.kafka.connect.transforms.InsertField$Value");
    }
}
