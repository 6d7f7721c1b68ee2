package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.testkit.process.ProducerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad configuration fails at start, naming the file, the key and the reason. */
@Tag("jvm")
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
        return ProducerProcess.builder().env(env).args("check", f.toString()).start();
    }

    @Test
    void aGoodConfigPasses() throws Exception {
        try (ProducerProcess p = check(GOOD, Map.of())) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).as(p.output()).isZero();
            assertThat(p.output()).contains("Configuration is OK");
        }
    }

    @Test
    void theShippedExampleConfigPasses() throws Exception {
        Path example = Path.of(System.getProperty("mqtap.root", "..")).resolve("producer/config.yml");
        try (ProducerProcess p = ProducerProcess.builder().args("check", example.toString()).start()) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).as(p.output()).isZero();
        }
    }

    @Test
    void anUnknownKeyIsNamed() throws Exception {
        try (ProducerProcess p = check(GOOD + "capture:\n  pagesPerCpu: 64\n", Map.of())) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).isNotZero();
            assertThat(p.output()).contains("config.yml has an error").contains("Unrecognized field at: capture.pagesPerCpu");
        }
    }

    @Test
    void aBadValueIsNamedWithTheReason() throws Exception {
        try (ProducerProcess p = check(GOOD + "capture:\n  perCpuPages: 0\n  attachMode: uprobe\n", Map.of())) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).isNotZero();
            assertThat(p.output()).contains("capture.perCpuPages must be greater than or equal to 1")
                    .contains("capture.attachMode must be one of auto, fentry, kprobe, tracepoint");
        }
    }

    @Test
    void aPinPathWithThePerfBufferIsNamed() throws Exception {
        try (ProducerProcess p = check(GOOD + "capture:\n  pinPath: /sys/fs/bpf/mqtap\n", Map.of())) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).as(p.output()).isNotZero();
            assertThat(p.output()).contains("capture.pinPath needs capture.transport: ring-buffer");
        }
    }

    @Test
    void whatTheStartWouldRefuseFailsTheCheck() throws Exception {
        // GOOD ends in the schemaRegistry section: the id cache's file named as a directory
        String yaml = GOOD + "  idCacheFile: " + dir + "\n" + "capture:\n  perCpuPages: 48\n  batchEvents: 2048\n"
                + "pipeline:\n  handoffCapacity: 1024\n";
        try (ProducerProcess p = check(yaml, Map.of())) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).as(p.output()).isNotZero();
            assertThat(p.output()).contains("capture.perCpuPages must be a power of two between 1 and 65536, was 48")
                    .contains("pipeline.handoffCapacity must be at least capture.batchEvents (2048), was 1024")
                    .contains("schemaRegistry.idCacheFile " + dir + " is a directory: name a file");
        }
        String ring = GOOD + "capture:\n  transport: ring-buffer\n  ringBufferBytes: 12288\n";
        try (ProducerProcess p = check(ring, Map.of())) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).as(p.output()).isNotZero();
            assertThat(p.output()).contains("capture.ringBufferBytes must be a power of two between 4096 and 1 GiB, was 12288");
        }
    }

    private static final String INSECURE = """
            kafka:
              bootstrapServers: 127.0.0.1:9092
              properties:
                security.protocol: SASL_PLAINTEXT
                sasl.mechanism: PLAIN
                sasl.jaas.config: org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="pw-never-shown";
                acks: "1"
                enable.idempotence: "false"
                max.in.flight.requests.per.connection: "8"
                ssl.endpoint.identification.algorithm: ""
            schemaRegistry:
              url: http://127.0.0.1:8081
              basicAuthUserInfo: user:pw-never-shown
            privacy:
              nameHmacKey: passwordpasswordpasswordpassword
            """;
    private static final List<String> INSECURE_KEYS = List.of("kafka.properties.security.protocol", "kafka.properties.acks",
            "kafka.properties.enable.idempotence", "kafka.properties.max.in.flight.requests.per.connection",
            "kafka.properties.ssl.endpoint.identification.algorithm", "schemaRegistry.basicAuthUserInfo");

    /** Credentials over plaintext and delivery-weakening properties fail the check, each named, unless accepted; then each is a WARN. */
    @Test
    void insecureSettingsAreRefusedUnlessAcceptedThenWarned() throws Exception {
        Path refused = Files.writeString(dir.resolve("insecure.yml"), INSECURE.replace("passwordpassword", "a1b2c3d4e5f6a7b8"));
        Path accepted = Files.writeString(dir.resolve("accepted.yml"), INSECURE.replace("passwordpassword", "a1b2c3d4e5f6a7b8")
                + "security:\n  acceptInsecure: [" + String.join(", ", INSECURE_KEYS) + "]\n");
        Path weakKey = Files.writeString(dir.resolve("weak-key.yml"), GOOD + "privacy:\n  nameHmacKey: passwordpasswordpasswordpassword\n");
        try (ProducerProcess no = ProducerProcess.builder().args("check", refused.toString()).start();
             ProducerProcess yes = ProducerProcess.builder().args("check", accepted.toString()).start();
             ProducerProcess weak = ProducerProcess.builder().args("check", weakKey.toString()).start()) {
            assertThat(no.waitFor(java.time.Duration.ofSeconds(90))).as(no.output()).isNotZero();
            for (String key : INSECURE_KEYS) {
                assertThat(no.output()).contains(key + " ").contains("add \"" + key + "\" to security.acceptInsecure");
            }
            assertThat(no.output()).contains("sends the registry credentials in clear text over http://")
                    .contains("acks other than all").contains("hostname verification").doesNotContain("pw-never-shown");
            assertThat(yes.waitFor(java.time.Duration.ofSeconds(90))).as(yes.output()).isZero();
            for (String key : INSECURE_KEYS) {
                assertThat(yes.output()).contains("INSECURE (accepted in security.acceptInsecure): " + key + " ");
            }
            assertThat(yes.output()).doesNotContain("pw-never-shown");
            assertThat(weak.waitFor(java.time.Duration.ofSeconds(90))).as(weak.output()).isNotZero();
            assertThat(weak.output()).contains("privacy.nameHmacKey looks low in entropy").doesNotContain("passwordpassword");
        }
    }

    /** Bad values in every section at once: all are reported together, each naming its key. */
    private static final String BAD_EVERYWHERE = """
            kafka:
              bootstrapServers: ""
              topic: ""
              partitions: 0
              replicationFactor: -2
              properties:
                acks: maybe
                sasl.jaas.config: org.apache.kafka.common.security.scram.ScramLoginModule required password="pw-never-shown";
            schemaRegistry:
              url: ftp://registry:8081
              subjectStrategy: by-name
              startJitter: 10 minutes
            capture:
              transport: udp
              batchEvents: 0
              wakeupBytes: -1
              ringBufferBytes: 1
            host:
              machineId: not-hex
              bootId: yesterday
            pipeline:
              handoffCapacity: 0
            thresholds:
              maxKernelLossRatio: 2
            privacy:
              nameHmacKey: too-short
            server:
              applicationConnectors:
                - type: http
                  port: 70000
              adminConnectors:
                - type: http
                  port: -5
            """;

    @Test
    void everySectionsBadValuesAreNamedWithTheirKeys() throws Exception {
        // the parse errors stop at the first one, so one file each; all JVMs start at once (each costs seconds)
        Map<String, String> parseErrors = new java.util.LinkedHashMap<>();
        parseErrors.put("pipeline:\n  overflow: sideways\n", "at: pipeline.overflow; Cannot construct instance of");
        parseErrors.put("thresholds:\n  ackTimeout: soon\n", "at: thresholds.ackTimeout; Cannot construct instance of");
        List<String> yamls = new java.util.ArrayList<>(List.of(BAD_EVERYWHERE));
        parseErrors.keySet().forEach(k -> yamls.add(GOOD + k));
        List<ProducerProcess> checks = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < yamls.size(); i++) {
                Path f = dir.resolve("config-" + i + ".yml");
                Files.writeString(f, yamls.get(i));
                checks.add(ProducerProcess.builder().args("check", f.toString()).start());
            }
            ProducerProcess all = checks.get(0);
            assertThat(all.waitFor(Duration.ofSeconds(90))).as(all.output()).isNotZero();
            assertThat(all.output()).contains(
                    "kafka.bootstrapServers must not be empty",
                    "kafka.topic must not be empty",
                    "kafka.partitions must be greater than or equal to 1",
                    "kafka.replicationFactor must be greater than or equal to -1",
                    "kafka.properties has a bad value: Invalid value maybe for configuration acks",
                    "schemaRegistry.url must be one or more http:// or https:// URLs",
                    "schemaRegistry.subjectStrategy must be topic, record or topic-record",
                    "schemaRegistry.startJitter must be less than or equal to 5 MINUTES",
                    "capture.transport must be perf-buffer or ring-buffer",
                    "capture.batchEvents must be greater than or equal to 1",
                    "capture.wakeupBytes must be greater than or equal to 0",
                    "capture.ringBufferBytes must be greater than or equal to 4096",
                    "host.machineId must be 32 lowercase hex digits",
                    "host.bootId must be a lowercase UUID",
                    "pipeline.handoffCapacity must be greater than or equal to 1",
                    "thresholds.maxKernelLossRatio must be less than or equal to 1.0",
                    "privacy.nameHmacKey must be at least 32 bytes, was 9 (make one with: openssl rand -hex 32)",
                    "server.applicationConnectors[0].port must be between",
                    "server.adminConnectors[0].port must be between");
            // a secret in a bad file is never repeated back
            assertThat(all.output()).doesNotContain("pw-never-shown").doesNotContain("too-short");
            int i = 1;
            for (String expected : parseErrors.values()) {
                ProducerProcess p = checks.get(i++);
                assertThat(p.waitFor(Duration.ofSeconds(90))).as(p.output()).isNotZero();
                assertThat(p.output()).contains(expected);
            }
            assertThat(checks.get(1).output()).contains("must be block or drop, not 'sideways'");
            assertThat(checks.get(2).output()).contains("Invalid duration: soon");
        } finally {
            checks.forEach(ProducerProcess::close);
        }
    }

    @Test
    void aMissingRequiredSectionIsNamed() throws Exception {
        try (ProducerProcess p = check("kafka:\n  bootstrapServers: 127.0.0.1:9092\n", Map.of())) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).isNotZero();
            assertThat(p.output()).contains("schemaRegistry must not be null");
        }
    }

    @Test
    void aMissingFileIsNamed() throws Exception {
        try (ProducerProcess p = ProducerProcess.builder().args("check", dir.resolve("nope.yml").toString()).start()) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).isNotZero();
            assertThat(p.output()).contains("nope.yml").containsIgnoringCase("not found");
        }
    }

    @Test
    void anUnsetEnvironmentVariableIsNamed() throws Exception {
        String yaml = GOOD.replace("127.0.0.1:9092", "${MQTAP_TEST_UNSET_BOOTSTRAP}");
        try (ProducerProcess p = check(yaml, Map.of())) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).isNotZero();
            assertThat(p.output()).contains("MQTAP_TEST_UNSET_BOOTSTRAP");
        }
    }

    @Test
    void environmentVariablesAreSubstituted() throws Exception {
        String yaml = GOOD.replace("127.0.0.1:9092", "${MQTAP_TEST_BOOTSTRAP}") + "pipeline:\n  handoffCapacity: ${MQTAP_TEST_CAP}\n";
        try (ProducerProcess p = check(yaml, Map.of("MQTAP_TEST_BOOTSTRAP", "127.0.0.1:1", "MQTAP_TEST_CAP", "0"))) {
            assertThat(p.waitFor(Duration.ofSeconds(60))).isNotZero();
            assertThat(p.output()).contains("pipeline.handoffCapacity must be greater than or equal to 1");
        }
    }
}
