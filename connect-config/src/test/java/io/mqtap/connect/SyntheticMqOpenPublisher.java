package io.mqtap.connect;

import io.mqtap.avro.MqAttr;
import io.mqtap.avro.MqOpen;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroSerializer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes {@code count} MqOpen records from two hosts through mqtap's {@link AvroSerializer}, covering every
 * field shape the table must keep: null and non-null optionals, non-UTF-8 and control bytes in names, empty
 * and multi-element flag lists, failures with errno, and timestamps over three UTC days (three partitions).
 */
final class SyntheticMqOpenPublisher implements MqOpenPublisher {
    private static final String[] ERRNOS = {null, "ENOENT", "EACCES", "EEXIST", null, "EPERM"};
    private static final long DAY_MICROS = 86_400_000_000L;
    private final int count;

    SyntheticMqOpenPublisher(int count) {
        this.count = count;
    }

    @Override
    public int publish(String bootstrapServers, String registryUrl, String topic) throws Exception {
        Map<String, Object> props = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName(),
                RegistryConfig.URL, registryUrl);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<String, MqOpen> producer = new KafkaProducer<>(props)) {
            for (MqOpen e : events()) {
                sent.add(producer.send(new ProducerRecord<>(topic, e.getMachineId(), e)));
            }
            producer.flush();
            for (Future<RecordMetadata> f : sent) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        return sent.size();
    }

    List<MqOpen> events() {
        String[] hosts = {"alpha", "beta"};
        String[] runs = {UUID.randomUUID().toString(), UUID.randomUUID().toString()};
        long base = Instant.parse("2026-11-27T22:00:00Z").toEpochMilli() * 1000L;
        List<MqOpen> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int h = i % 2;
            long seq = i / 2;
            String errno = ERRNOS[i % ERRNOS.length];
            boolean create = i % 3 == 0;
            byte[] raw = nameBytes(i);
            List<String> flags = new ArrayList<>(List.of(i % 4 == 0 ? "O_RDWR" : "O_RDONLY"));
            if (create) {
                flags.add("O_CREAT");
            }
            if (i % 7 == 0) {
                flags.add("0x40000");
            }
            out.add(MqOpen.newBuilder()
                    .setHostname(hosts[h])
                    .setMachineId(String.format("%032x", h + 1))
                    .setBootId("0b00" + h + "000-0000-4000-8000-000000000000")
                    .setRunId(runs[h])
                    .setSequence(seq)
                    // spread over three UTC days, with odd microseconds so precision loss would show
                    .setTimestamp(micros(base + (i * (2 * DAY_MICROS + 7_200_000_000L)) / count + 123_457L))
                    .setBootTimeNs(1_000_000_000L + i * 1_000_003L)
                    .setProbe("tracepoint")
                    .setCpu(i % 2)
                    .setPid(4_000_000_000L + i)
                    .setTid(4_000_000_000L + i)
                    .setPpid(1)
                    .setNsPid(100 + i)
                    .setUid(i % 5 == 0 ? 0 : 1000)
                    .setGid(4_294_967_294L)
                    .setComm(i % 9 == 0 ? "worker\\xff" : "app-" + (i % 4))
                    .setCgroupId(12345L + h)
                    .setMntNs(4026531841L)
                    .setPidNs(4026531836L)
                    .setContainerId(i % 4 == 1 ? "c0ffee" + "0".repeat(58) : null)
                    .setName(escape(raw))
                    .setNameRaw(ByteBuffer.wrap(raw))
                    .setNameTruncated(i % 11 == 0)
                    .setNameChanged(i % 13 == 0)
                    .setNameError(null)
                    .setOflag((i % 4 == 0 ? 2 : 0) | (create ? 0100 : 0) | (i % 7 == 0 ? 0x40000 : 0))
                    .setFlags(flags)
                    .setMode(create ? (i % 2 == 0 ? 0666 : 0600) : 0)
                    .setAttr(create ? new MqAttr(0L, 10L + i, 8192L, 0L) : null)
                    .setReturnValue(errno == null ? 3 + i % 5 : -errnoNumber(errno))
                    .setErrno(errno)
                    .setAttrError(i % 17 == 0 ? "EFAULT" : null)
                    .setDurationNs(i % 6 == 0 ? null : 1500L + i)
                    .build());
        }
        return out;
    }

    private static Instant micros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    }

    private static byte[] nameBytes(int i) {
        if (i % 10 == 3) {
            return new byte[] {'b', 'a', 'd', (byte) 0xff, (byte) 0xfe}; // not UTF-8
        }
        if (i % 10 == 5) {
            return new byte[] {'c', 't', 'l', 0x01, 0x1b, 'x'}; // control characters
        }
        return ("queue-" + i).getBytes(StandardCharsets.UTF_8);
    }

    /** mqtap's lossless rendering: non-UTF-8 bytes and the backslash as \xNN. */
    private static String escape(byte[] raw) {
        StringBuilder sb = new StringBuilder();
        for (byte b : raw) {
            int u = b & 0xff;
            if (u >= 0x80 || u == '\\') {
                sb.append(String.format("\\x%02x", u));
            } else {
                sb.append((char) u);
            }
        }
        return sb.toString();
    }

    private static int errnoNumber(String errno) {
        return switch (errno) {
            case "EPERM" -> 1;
            case "ENOENT" -> 2;
            case "EACCES" -> 13;
            case "EEXIST" -> 17;
            default -> 5;
        };
    }
}
