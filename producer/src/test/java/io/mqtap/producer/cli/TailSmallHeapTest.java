package io.mqtap.producer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.producer.MqTapApplication;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.SchemaRegistryClient;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.hostile.CraftedRecords;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tail} as its own JVM with a 64 MiB heap and none of the wrapper's Avro flags, reading a topic where each
 * crafted record (a 2^31-item array, a 2^31-byte string, negative lengths, truncated, unknown schema id...) sits
 * between real ones: it prints every real record, names every crafted one on stderr, counts them, and exits 0.
 */
@Tag("broker")
@Tag("registry")
@Tag("jvm")
class TailSmallHeapTest {
    @Test
    void craftedRecordsAreSkippedAndCountedInA64MiBHeap(@TempDir Path dir) throws Exception {
        String topic = "tail-hostile-" + UUID.randomUUID();
        try (KafkaBroker broker = KafkaBroker.start()) {
            try (var admin = broker.admin()) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            }
            SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.builder().url(SchemaRegistryServer.shared().url()).build());
            AvroSerializer<MqOpen> ser = new AvroSerializer<>(client);
            MqOpen sample = record(-1);
            Map<String, byte[]> crafted = CraftedRecords.against(sample, ser.serialize(topic, sample), "flags", "name", "nameRaw", "podLabels");
            List<byte[]> values = new ArrayList<>();
            int good = 0;
            for (byte[] bad : crafted.values()) {
                values.add(ser.serialize(topic, record(good++)));
                values.add(bad);
            }
            values.add(ser.serialize(topic, record(good++)));
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all",
                    "max.request.size", 4 << 20), new StringSerializer(), new ByteArraySerializer())) {
                for (byte[] v : values) p.send(new ProducerRecord<>(topic, "k", v)).get();
            }

            Path out = dir.resolve("out"), err = dir.resolve("err");
            Process tail = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                    "-cp", System.getProperty("java.class.path"), MqTapApplication.class.getName(), "tail",
                    "--bootstrap-servers", broker.bootstrapServers(), "--schema-registry-url", SchemaRegistryServer.shared().url(),
                    "--topic", topic, "--from-beginning", "--max-records", String.valueOf(values.size()), "--timeout-ms", "20000")
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                assertThat(tail.waitFor(90, TimeUnit.SECONDS)).as("tail ends by itself").isTrue();
            } finally {
                tail.destroyForcibly();
            }
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            assertThat(tail.exitValue()).as("tail's exit code; stderr:\n" + stderr).isZero();
            assertThat(stderr).doesNotContain("OutOfMemoryError");
            List<String> printed = Files.readAllLines(out, StandardCharsets.UTF_8);
            assertThat(printed).hasSize(good);
            for (int i = 0; i < good; i++) {
                String seq = "\"sequence\":" + i + ",";
                assertThat(printed).as("real record " + i).anyMatch(l -> l.contains(seq));
            }
            List<String> named = stderr.lines().filter(l -> l.startsWith("mqtap tail: " + topic + "-0 offset ")).toList();
            assertThat(named).as("one line per crafted record:\n" + stderr).hasSize(crafted.size());
            assertThat(stderr.lines().toList()).last()
                    .isEqualTo("mqtap tail: read " + values.size() + " records, skipped " + crafted.size() + " that could not be decoded");
        }
    }

    private static MqOpen record(long seq) {
        return MqOpen.newBuilder().setHostname("h").setMachineId("m").setBootId("b").setRunId("r").setSequence(seq)
                .setTimestamp(Instant.parse("2026-11-30T10:00:00Z")).setBootTimeNs(1L).setProbe("tracepoint").setCpu(0)
                .setPid(1L).setTid(1L).setPpid(0L).setNsPid(1L).setUid(1000L).setGid(1000L).setComm("c").setCgroupId(1L)
                .setMntNs(1L).setPidNs(1L).setPodLabels(Map.of("app", "a")).setName("q").setNameRaw(ByteBuffer.wrap(new byte[] {'q'}))
                .setNameTruncated(false).setNameChanged(false).setOflag(0).setFlags(List.of("O_RDONLY")).setMode(0).setReturnValue(3L).build();
    }
}
