package io.mqtap.producer;

import static org.awaitility.Awaitility.await;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.core.ConditionTimeoutException;

/** Reads mqtap's topics back through the registry, as a downstream consumer would. */
final class Records {
    private Records() {}

    /** Every record of the topic (from the start) until {@code done} holds for those read, or the timeout. */
    static <T extends SpecificRecord> List<ConsumerRecord<String, T>> read(String bootstrap, String registryUrl, String topic,
            Predicate<List<ConsumerRecord<String, T>>> done, Duration timeout) {
        return read(Map.of(), bootstrap, registryUrl, topic, done, timeout);
    }

    /** As above, with extra consumer and registry settings (security.protocol, sasl.*, ssl.*, basic.auth.user.info, ...). */
    static <T extends SpecificRecord> List<ConsumerRecord<String, T>> read(Map<String, Object> extra, String bootstrap,
            String registryUrl, String topic, Predicate<List<ConsumerRecord<String, T>>> done, Duration timeout) {
        return read(extra, bootstrap, registryUrl, List.of(topic), done, timeout);
    }

    /** The producer's record topics by default (one per record type), in RecordType order. */
    static final List<String> RECORD_TOPICS = List.of("mq-open-events", "mq-unlink-events", "mq-notify-events",
            "mq-setattr-events", "mq-access-events", "mq-transfer-events");

    /** Every record of every record topic (each record its own type), until {@code done} holds or the timeout. */
    static List<ConsumerRecord<String, SpecificRecord>> readAll(String bootstrap, String registryUrl,
            Predicate<List<ConsumerRecord<String, SpecificRecord>>> done, Duration timeout) {
        return read(Map.of(), bootstrap, registryUrl, RECORD_TOPICS, done, timeout);
    }

    /** The records of one run, whatever their type. */
    static List<SpecificRecord> ofRun(List<ConsumerRecord<String, SpecificRecord>> rs, String runId) {
        return rs.stream().map(ConsumerRecord::value)
                .filter(r -> runId.equals(((org.apache.avro.specific.SpecificRecordBase) r).get("runId"))).toList();
    }

    /** A run's sequence numbers across every record topic, sorted: 0..n-1 when nothing is missing or repeated. */
    static List<Long> sequences(List<ConsumerRecord<String, SpecificRecord>> rs, String runId) {
        return ofRun(rs, runId).stream().map(r -> (Long) ((org.apache.avro.specific.SpecificRecordBase) r).get("sequence"))
                .sorted().toList();
    }

    static <T extends SpecificRecord> List<ConsumerRecord<String, T>> read(Map<String, Object> extra, String bootstrap,
            String registryUrl, List<String> topics, Predicate<List<ConsumerRecord<String, T>>> done, Duration timeout) {
        Map<String, Object> cfg = new java.util.HashMap<>(extra);
        cfg.putAll(Map.of("bootstrap.servers", bootstrap, "group.id", "test-" + UUID.randomUUID(),
                "auto.offset.reset", "earliest", "enable.auto.commit", false,
                RegistryConfig.URL, registryUrl, RegistryConfig.SPECIFIC_READER, true));
        AvroDeserializer<T> values = new AvroDeserializer<>();
        values.configure(cfg, false);
        List<ConsumerRecord<String, T>> out = new ArrayList<>();
        try (KafkaConsumer<String, T> c = new KafkaConsumer<>(cfg, new StringDeserializer(), values)) {
            c.subscribe(topics);
            try {
                await(String.join(",", topics)).atMost(timeout).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                        .until(() -> {
                            c.poll(Duration.ofMillis(200)).forEach(out::add);
                            return done.test(out);
                        });
            } catch (ConditionTimeoutException e) {
                // what was read is returned: the caller's assertions say what is missing, record by record
            }
        }
        return out;
    }

    static List<MqOpen> events(List<ConsumerRecord<String, MqOpen>> rs, String runId) {
        return rs.stream().map(ConsumerRecord::value).filter(r -> r.getRunId().equals(runId)).toList();
    }

    static List<MqOpenStats> stats(List<ConsumerRecord<String, MqOpenStats>> rs, String runId) {
        return rs.stream().map(ConsumerRecord::value).filter(r -> r.getRunId().equals(runId)).toList();
    }
}
