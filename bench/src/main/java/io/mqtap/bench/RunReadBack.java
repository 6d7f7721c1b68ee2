package io.mqtap.bench;

import io.mqtap.avro.MqOpen;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.SchemaRegistryClient;
import io.mqtap.registry.serde.AvroDeserializer;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One run's MqOpen records as Kafka holds them, counted by the dedup key (runId, sequence) as they stream past, without
 * keeping them: the ground truth a long bench reconciles the generator's calls with (millions of records). Or each
 * record of an offset range, decoded, handed to the caller with its Kafka metadata (timestamp and its type).
 */
public final class RunReadBack {
    /** records: the run's records of the caller; distinct: their distinct sequences (copies counted once). */
    public record Count(long records, long distinct) {
        public long duplicates() {
            return records - distinct;
        }
    }

    private RunReadBack() {}

    /** Reads {@code topic} from its start until nothing new came for {@code idle}; counts the run's records of {@code pid}. */
    public static Count of(String bootstrap, String registryUrl, String topic, String runId, long pid, Duration idle) {
        Map<String, Object> cfg = Map.of("bootstrap.servers", bootstrap, "enable.auto.commit", false, "max.poll.records", 5000);
        BitSet seen = new BitSet();
        long records = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             AvroDeserializer<MqOpen> de = new AvroDeserializer<>(new SchemaRegistryClient(RegistryConfig.builder().url(registryUrl).build()),
                     MqOpen.class)) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < idle.toNanos()) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    quietSince = System.nanoTime();
                    MqOpen e = de.deserialize(topic, r.value());
                    if (!e.getRunId().equals(runId) || e.getPid() != pid) continue;
                    records++;
                    // a run's sequences start at 0; a bench's run stays far below 2^31 records
                    seen.set(Math.toIntExact(e.getSequence()));
                }
            }
        }
        return new Count(records, seen.cardinality());
    }

    /**
     * Hands each record of {@code tp} from offset {@code from} until {@code to} (exclusive) to {@code each}, decoded, in
     * log order; stops early when nothing new came for {@code idle}. Returns the records read.
     */
    public static long range(String bootstrap, String registryUrl, TopicPartition tp, long from, long to, Duration idle,
                             BiConsumer<ConsumerRecord<byte[], byte[]>, MqOpen> each) {
        Map<String, Object> cfg = Map.of("bootstrap.servers", bootstrap, "enable.auto.commit", false, "max.poll.records", 5000);
        long read = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             AvroDeserializer<MqOpen> de = new AvroDeserializer<>(new SchemaRegistryClient(RegistryConfig.builder().url(registryUrl).build()),
                     MqOpen.class)) {
            c.assign(List.of(tp));
            c.seek(tp, from);
            long quietSince = System.nanoTime();
            while (c.position(tp) < to && System.nanoTime() - quietSince < idle.toNanos()) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    quietSince = System.nanoTime();
                    if (r.offset() >= to) continue; // the last poll may reach past the range
                    read++;
                    each.accept(r, de.deserialize(tp.topic(), r.value()));
                }
            }
        }
        return read;
    }
}
