package io.mqtap.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamsSettingsTest {
    @Test
    void shippedPropertiesFileLoadsWithItsDocumentedValues() throws Exception {
        Path file = Path.of(System.getProperty("mqtap.root", "..")).resolve("streams/config/streams.properties");
        // the shipped file reads two environment variables; without them it says which one is missing
        assertThatThrownBy(() -> MqTapStreamsApp.load(file))
                .hasMessageContaining("bootstrap.servers").hasMessageContaining("KAFKA_BOOTSTRAP");
    }

    @Test
    void yamlNestedKeysBecomeDottedSettings(@TempDir Path dir) throws Exception {
        Path yml = dir.resolve("streams.yml");
        Files.writeString(yml, """
                application.id: mqtap-streams
                bootstrap.servers: 127.0.0.1:9092
                schema.registry.url: http://127.0.0.1:8081
                mqtap:
                  grace: PT5S
                  counts:
                    window: 120000
                  alert:
                    rate:
                      multiplier: 8
                    permission:
                      threshold: 3
                """);
        StreamsSettings s = new StreamsSettings(MqTapStreamsApp.load(yml));
        assertThat(s.grace()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.countsWindow()).isEqualTo(Duration.ofMinutes(2));
        assertThat(s.rateMultiplier()).isEqualTo(8.0);
        assertThat(s.permissionThreshold()).isEqualTo(3);
        assertThat(s.rateFloor()).isEqualTo(100.0);
        assertThat(s.eventsTopic()).isEqualTo("mq-open-events");
        assertThat(s.streamsProperties()).containsEntry("application.id", "mqtap-streams")
                .doesNotContainKey("mqtap.grace");
        assertThat(s.registryProperties()).containsOnlyKeys("schema.registry.url");
    }

    @Test
    void valuesTakeTheProducersSubstitution(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("jaas"), "org.apache.kafka.common.security.scram.ScramLoginModule required;\n");
        Path props = dir.resolve("streams.properties");
        Files.writeString(props, "application.id=${MQTAP_TEST_SURELY_UNSET_APP:-mqtap-streams}\n"
                + "sasl.jaas.config=${file:" + secret + "}\nmqtap.grace=$${literal}\n");
        Map<String, String> loaded = MqTapStreamsApp.load(props);
        assertThat(loaded).containsEntry("application.id", "mqtap-streams")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;")
                .containsEntry("mqtap.grace", "${literal}");
    }

    @Test
    void badSettingsAreRefusedWithTheKeyAndTheReason() {
        assertThatThrownBy(() -> new StreamsSettings(Map.of("mqtap.alert.rate.multipler", "5")))
                .hasMessage("unknown setting mqtap.alert.rate.multipler");
        assertThatThrownBy(() -> new StreamsSettings(Map.of("mqtap.grace", "soon")))
                .hasMessageContaining("mqtap.grace").hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> new StreamsSettings(Map.of("mqtap.alert.rate.alpha", "1.5")))
                .hasMessageContaining("alpha");
        assertThatThrownBy(() -> new StreamsSettings(Map.of("mqtap.alert.permission.threshold", "many")))
                .hasMessageContaining("mqtap.alert.permission.threshold").hasMessageContaining("Not a number");
        assertThatThrownBy(() -> new StreamsSettings(Map.of("mqtap.counts.window", "PT0S")))
                .hasMessageContaining("mqtap.counts.window").hasMessageContaining("must be positive");
    }
}
