package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad configuration fails at start, naming the file, the key and the reason. */
class ConfigErrorsTest {
    private static final String GOOD = """
            kafka:
              bootstrapServers: 127.0.0.1:9092
            schemaRegistry:
              url: http://127.0.0.1:8081
            """;

    @TempDir Path dir;

    private ProducerProcess check(String yaml, Map<String, String> env) throws Exception {
        Path f = dir.resolve("config.yml");
        Files.writeString(f, yaml);
        return ProducerProcess.start(List.of(), env, "check", f.toString());
    }

    @Test
    void aGoodConfigPasses() throws Exception {
        try (ProducerProcess p = check(GOOD, Map.of())) {
            assertThat(p.waitFor(60)).as(p.output()).isZero();
            assertThat(p.output()).contains("Configuration is OK");
        }
    }

    @Test
    void theShippedExampleConfigPasses() throws Exception {
        Path example = Path.of(System.getProperty("mqtap.root", "..")).resolve("producer/config.yml");
        try (ProducerProcess p = ProducerProcess.start("check", example.toString())) {
            assertThat(p.waitFor(60)).as(p.output()).isZero();
        }
    }

    @Test
    void anUnknownKeyIsNamed() throws Exception {
        try (ProducerProcess p = check(GOOD + "capture:\n  pagesPerCpu: 64\n", Map.of())) {
            assertThat(p.waitFor(60)).isNotZero();
            assertThat(p.output()).contains("config.yml has an error").contains("Unrecognized field at: capture.pagesPerCpu");
        }
    }

    @Test
    void aBadValueIsNamedWithTheReason() throws Exception {
        try (ProducerProcess p = check(GOOD + "capture:\n  perCpuPages: 0\n  attachMode: uprobe\n", Map.of())) {
            assertThat(p.waitFor(60)).isNotZero();
            assertThat(p.output()).contains("capture.perCpuPages must be greater than or equal to 1")
                    .contains("capture.attachMode must be one of auto, fentry, kprobe, tracepoint");
        }
    }

    @Test
    void aMissingRequiredSectionIsNamed() throws Exception {
        try (ProducerProcess p = check("kafka:\n  bootstrapServers: 127.0.0.1:9092\n", Map.of())) {
            assertThat(p.waitFor(60)).isNotZero();
            assertThat(p.output()).contains("schemaRegistry must not be null");
        }
    }

    @Test
    void aMissingFileIsNamed() throws Exception {
        try (ProducerProcess p = ProducerProcess.start("check", dir.resolve("nope.yml").toString())) {
            assertThat(p.waitFor(60)).isNotZero();
            assertThat(p.output()).contains("nope.yml").containsIgnoringCase("not found");
        }
    }

    @Test
    void anUnsetEnvironmentVariableIsNamed() throws Exception {
        String yaml = GOOD.replace("127.0.0.1:9092", "${MQTAP_TEST_UNSET_BOOTSTRAP}");
        try (ProducerProcess p = check(yaml, Map.of())) {
            assertThat(p.waitFor(60)).isNotZero();
            assertThat(p.output()).contains("MQTAP_TEST_UNSET_BOOTSTRAP");
        }
    }

    @Test
    void environmentVariablesAreSubstituted() throws Exception {
        String yaml = GOOD.replace("127.0.0.1:9092", "${MQTAP_TEST_BOOTSTRAP}") + "pipeline:\n  handoffCapacity: ${MQTAP_TEST_CAP}\n";
        try (ProducerProcess p = check(yaml, Map.of("MQTAP_TEST_BOOTSTRAP", "127.0.0.1:1", "MQTAP_TEST_CAP", "0"))) {
            assertThat(p.waitFor(60)).isNotZero();
            assertThat(p.output()).contains("pipeline.handoffCapacity must be greater than or equal to 1");
        }
    }
}
