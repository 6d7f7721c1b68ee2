package io.mqtap.producer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.SchemaRegistryClient;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code tail} reading a topic where real records sit between random, truncated and corrupted ones (fixed seed,
 * bounded count): every good record is printed, every bad one gets one stderr line naming its offset and what is
 * wrong, and tail reads on to the end instead of dying.
 */
@Tag("broker")
@Tag("registry")
class TailFuzzTest {
    private static final long SEED = 0x7461696c46757aL;

    @Test
    void tailSurvivesRandomAndTruncatedRecords() throws Exception {
        SchemaRegistryServer registry = SchemaRegistryServer.shared();
        String topic = "tail-fuzz-" + UUID.randomUUID();
        try (KafkaBroker broker = KafkaBroker.start()) {
            try (var admin = broker.admin()) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            }
            SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.builder().url(registry.url()).build());
            AvroSerializer<MqOpen> ser = new AvroSerializer<>(client);
            Random rnd = new Random(SEED);
            List<byte[]> values = new ArrayList<>();
            List<Boolean> good = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                byte[] real = ser.serialize(topic, record(i));
                switch (i % 4) {
                    case 0 -> { values.add(real); good.add(true); }
                    case 1 -> { values.add(Arrays.copyOf(real, rnd.nextInt(real.length))); good.add(false); }
                    case 2 -> {
                        byte[] b = new byte[rnd.nextInt(300)];
                        rnd.nextBytes(b);
                        values.add(b);
                        good.add(null); // random: may, very rarely, be a readable record
                    }
                    default -> {
                        byte[] b = new byte[5 + rnd.nextInt(400)];
                        rnd.nextBytes(b);
                        System.arraycopy(real, 0, b, 0, 5); // a real schema id, random Avro
                        values.add(b);
                        good.add(null);
                    }
                }
            }
            Map<String, Object> produce = Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all");
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(produce, new StringSerializer(), new ByteArraySerializer())) {
                for (byte[] v : values) p.send(new ProducerRecord<>(topic, "k", v));
                p.flush();
            }

            Map<String, Object> props = new HashMap<>();
            props.put("bootstrap.servers", broker.bootstrapServers());
            props.put("group.id", "tail-fuzz-" + UUID.randomUUID());
            props.put("auto.offset.reset", "earliest");
            props.put("enable.auto.commit", false);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream oldErr = System.err;
            long n;
            try (AvroDeserializer<IndexedRecord> de = new AvroDeserializer<>()) {
                de.configure(Map.of(RegistryConfig.URL, registry.url()), false);
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                n = TailCommand.tail(props, de, topic, values.size(), 15_000, new PrintStream(out, true, StandardCharsets.UTF_8));
            } finally {
                System.setErr(oldErr);
            }
            assertThat(n).as("tail read every record to the end").isEqualTo(values.size());
            List<String> printed = out.toString(StandardCharsets.UTF_8).lines().toList();
            List<String> errors = err.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("mqtap tail: ") && !l.startsWith("mqtap tail: read ")).toList();
            assertThat(err.toString(StandardCharsets.UTF_8).lines().toList()).as("the count of skipped records comes last")
                    .last().isEqualTo("mqtap tail: read " + values.size() + " records, skipped " + errors.size() + " that could not be decoded");
            assertThat(printed.size() + errors.size()).as("one line per record, on stdout or stderr:\n" + err).isEqualTo(values.size());
            long surelyGood = good.stream().filter(Boolean.TRUE::equals).count();
            long surelyBad = good.stream().filter(Boolean.FALSE::equals).count();
            assertThat((long) printed.size()).isGreaterThanOrEqualTo(surelyGood);
            assertThat((long) errors.size()).isGreaterThanOrEqualTo(surelyBad);
            for (int i = 0; i < values.size(); i++) {
                if (Boolean.FALSE.equals(good.get(i))) {
                    String prefix = "mqtap tail: " + topic + "-0 offset " + i + " of " + topic + ": ";
                    assertThat(errors).as("a line for the truncated record at offset " + i)
                            .anyMatch(l -> l.startsWith(prefix) && l.contains("Truncated record"));
                }
            }
            for (int i = 0; i < values.size(); i += 4) {
                String seq = "\"sequence\":" + i;
                assertThat(printed).as("good record " + i + " printed").anyMatch(l -> l.contains(seq));
            }
            assertThat(errors).allMatch(l -> l.matches("mqtap tail: \\S+-0 offset \\d+ of \\S+: (Truncated|Corrupt|Unknown|Failed).*"));
        }
    }

    private static MqOpen record(long seq) {
        return MqOpen.newBuilder().setHostname("h").setMachineId("m").setBootId("b").setRunId("r").setSequence(seq)
                .setTimestamp(Instant.parse("2026-11-29T02:10:00Z")).setBootTimeNs(1).setProbe("tracepoint").setCpu(0)
                .setPid(1L).setTid(1L).setPpid(0L).setNsPid(1L).setUid(0L).setGid(0L).setComm("c").setCgroupId(1L)
                .setMntNs(1L).setPidNs(1L).setContainerId(null).setName("q\\x80").setNameRaw(ByteBuffer.wrap(new byte[] {'q', (byte) 0x80}))
                .setNameTruncated(false).setNameChanged(false).setNameError(null).setOflag(0).setFlags(List.of("O_RDONLY"))
                .setMode(0).setAttr(null).setReturnValue(-2L).setErrno("ENOENT").build();
    }
}
