package io.mqtap.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Hostile bytes on a topic: every truncation of a real record, bit flips, random Avro bodies behind a real
 * schema id, and random headers. The deserializer either returns a record or throws a SerializationException
 * whose message says what is wrong; no other exception and no Error ever leaves it. Fixed seed, bounded count.
 */
@Tag("registry")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeserializerFuzzTest {
    private static final long SEED = 0x6d7174617046757aL; // "mqtapFuz"
    private static final String TOPIC = "mq-open-events";
    private static final String STATS_TOPIC = "mq-open-stats";

    private SchemaRegistryClient client;
    private byte[] record;
    private byte[] stats;
    private int recordId;

    @BeforeAll
    void register() {
        client = new SchemaRegistryClient(RegistryConfig.builder().url(SchemaRegistryServer.shared().url()).build());
        record = new AvroSerializer<MqOpen>(client).serialize(TOPIC, Samples.mqOpen(7));
        MqOpenStats s = MqOpenStats.newBuilder().setHostname("h").setMachineId("m").setBootId("b").setRunId("r")
                .setTimestamp(java.time.Instant.parse("2026-11-29T02:10:00Z")).setIntervalMs(10_000L).setProbe("tracepoint").setCaptured(10)
                .setLostKernel(1).setDropped(0).setPublished(9).setFailed(0).setInFlight(0).setSequence(9).build();
        stats = new AvroSerializer<MqOpenStats>(client).serialize(STATS_TOPIC, s);
        recordId = ((record[1] & 0xff) << 24) | ((record[2] & 0xff) << 16) | ((record[3] & 0xff) << 8) | (record[4] & 0xff);
    }

    /** The readers a consumer may use: a generated class, the generated class by name, and generic records. */
    private List<AvroDeserializer<?>> readers() {
        return List.of(new AvroDeserializer<>(client, MqOpen.class), new AvroDeserializer<GenericRecord>(client),
                new AvroDeserializer<>(client, MqOpenStats.class));
    }

    /** What happened to each input, by outcome: "ok" or the first words of the SerializationException. */
    private final Map<String, Integer> outcomes = new TreeMap<>();

    /** Decodes, and fails the test on anything but a value or a SerializationException with a useful message. */
    private void decode(AvroDeserializer<?> d, String topic, byte[] data, String what) {
        try {
            Object v = d.deserialize(topic, data);
            assertThat(v).as(what).isNotNull();
            outcomes.merge("ok", 1, Integer::sum);
        } catch (SerializationException e) {
            assertThat(e.getMessage()).as(what + ": message").isNotBlank()
                    .containsAnyOf("Truncated", "Corrupt", "Unknown magic byte", "Unknown schema id", "left over", "past the limits", "too big to decode",
                            "Failed to fetch writer schema");
            outcomes.merge(e.getMessage().split("[:(]")[0], 1, Integer::sum);
        } catch (Throwable t) {
            throw new AssertionError(what + " (" + HexFormat.of().formatHex(data, 0, Math.min(data.length, 64))
                    + "...) escaped the deserializer as " + t, t);
        }
    }

    @Test
    void everyTruncationOfARealRecordSaysTruncated() {
        for (AvroDeserializer<?> d : readers().subList(0, 2)) {
            assertThat(d.deserialize(TOPIC, record)).isNotNull();
            for (int len = 0; len < record.length; len++) {
                byte[] cut = Arrays.copyOf(record, len);
                int n = len;
                assertThatThrownBy(() -> d.deserialize(TOPIC, cut)).as("first %d of %d bytes", n, record.length)
                        .isInstanceOf(SerializationException.class)
                        .hasMessageContaining(len < 5 ? "Truncated record on topic " + TOPIC + ": " + len + " byte"
                                : "Truncated record on topic " + TOPIC);
            }
        }
    }

    @Test
    void bitFlipsAndByteChangesGiveARecordOrAClearError() {
        Random rnd = new Random(SEED);
        List<AvroDeserializer<?>> ds = readers();
        for (int i = 0; i < 6_000; i++) {
            byte[] b = record.clone();
            int edits = 1 + rnd.nextInt(4);
            for (int k = 0; k < edits; k++) {
                int pos = 5 + rnd.nextInt(b.length - 5); // keep the header: the body is what is fuzzed here
                if (rnd.nextBoolean()) b[pos] ^= (byte) (1 << rnd.nextInt(8));
                else b[pos] = (byte) rnd.nextInt(256);
            }
            decode(ds.get(i % 2), TOPIC, b, "flip #" + i);
        }
        assertThat(outcomes).as("outcomes " + outcomes).containsKey("ok").hasSizeGreaterThan(2);
    }

    @Test
    void randomBodiesBehindRealSchemaIdsGiveARecordOrAClearError() {
        Random rnd = new Random(SEED + 1);
        List<AvroDeserializer<?>> ds = readers();
        int statsId = ((stats[1] & 0xff) << 24) | ((stats[2] & 0xff) << 16) | ((stats[3] & 0xff) << 8) | (stats[4] & 0xff);
        // 3,000: a random length prefix makes Avro allocate up to ~2 GiB before it finds the bytes missing, which is slow
        for (int i = 0; i < 3_000; i++) {
            int len = rnd.nextInt(4) == 0 ? rnd.nextInt(8) : rnd.nextInt(600);
            byte[] b = new byte[5 + len];
            rnd.nextBytes(b);
            boolean statsTopic = i % 3 == 2;
            byte[] header = statsTopic ? stats : record;
            System.arraycopy(header, 0, b, 0, 5);
            decode(ds.get(i % 3), statsTopic ? STATS_TOPIC : TOPIC, b, "random body #" + i);
        }
        // random bodies of realistic length hit every failure Avro has: each is a SerializationException
        assertThat(outcomes).as("outcomes " + outcomes).containsKeys("Truncated record on topic " + TOPIC);
    }

    @Test
    void tailsCutFromAndGarbageAppendedToRealRecords() {
        Random rnd = new Random(SEED + 2);
        AvroDeserializer<?> d = readers().get(0);
        for (int i = 0; i < 500; i++) {
            byte[] extra = new byte[1 + rnd.nextInt(40)];
            rnd.nextBytes(extra);
            byte[] b = Arrays.copyOf(record, record.length + extra.length);
            System.arraycopy(extra, 0, b, record.length, extra.length);
            int n = i;
            assertThatThrownBy(() -> d.deserialize(TOPIC, b)).as("garbage #%d appended", n)
                    .isInstanceOf(SerializationException.class).hasMessageContaining("bytes left over after the record of schema id " + recordId);
        }
        // two records glued together, as a broken batching layer might write them
        byte[] two = Arrays.copyOf(record, record.length * 2);
        System.arraycopy(record, 0, two, record.length, record.length);
        assertThatThrownBy(() -> d.deserialize(TOPIC, two)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("left over");
    }

    @Test
    void badMagicBytesAndUnknownSchemaIdsAreNamed() {
        Random rnd = new Random(SEED + 3);
        AvroDeserializer<?> d = readers().get(1);
        for (int i = 0; i < 300; i++) {
            byte[] b = record.clone();
            b[0] = (byte) (1 + rnd.nextInt(255));
            String hex = String.format("0x%02x", b[0] & 0xff);
            assertThatThrownBy(() -> d.deserialize(TOPIC, b)).isInstanceOf(SerializationException.class)
                    .hasMessage("Unknown magic byte " + hex + " on topic " + TOPIC + " (expected 0x00): not in the Confluent wire format");
        }
        // ids no registry has (a handful: each unknown id is one registry lookup)
        List<Integer> ids = new ArrayList<>(List.of(-1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x7f000001));
        for (int i = 0; i < 4; i++) ids.add(1_000_000 + rnd.nextInt(1_000_000));
        for (int id : ids) {
            byte[] b = record.clone();
            b[1] = (byte) (id >>> 24);
            b[2] = (byte) (id >>> 16);
            b[3] = (byte) (id >>> 8);
            b[4] = (byte) id;
            assertThatThrownBy(() -> d.deserialize(TOPIC, b)).as("schema id %d", id).isInstanceOf(SerializationException.class)
                    .hasMessageContaining("Unknown schema id " + id + " on topic " + TOPIC);
        }
        // and the real record still reads after all that
        assertThat(d.deserialize(TOPIC, record)).isNotNull();
    }
}
