package io.mqtap.producer.kafka;

import io.mqtap.producer.config.KafkaFactory;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/** The KafkaProducer properties mqtap runs with: each choice made for this job, then the user's overrides. */
public final class ProducerSettings {
    private ProducerSettings() {}

    public static Map<String, Object> of(KafkaFactory kafka, String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        // retries can never duplicate or reorder a record within a partition
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // a record counts as published only once every in-sync replica has it
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // retry retriable errors until Kafka takes the batch: the spool holds every record anyway, and a batch the
        // client expired after the brokers wrote it would come back from the spool under a new sequence, a duplicate
        // (broker-outage-long: 417); a stop is bounded by close(shutdownTimeout), not by this
        p.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        // the most in-flight requests that idempotence still keeps in order
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        // records of one host repeat most fields: lz4 shrinks them cheaply in CPU
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // ~200-byte records: 5 ms of linger fills 64 KiB batches at high rates and costs little latency at low ones
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 65_536);
        // while the cluster is away send() waits for metadata (back-pressure); past this the callback fails the
        // record (never sent, so no copy) and the publisher reads it from the spool again
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000);
        // a run's records stay in the partition its first record went to, even when partitions are added meanwhile
        p.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, io.mqtap.registry.kafka.RunPinnedPartitioner.class.getName());
        p.putAll(kafka.getProperties());
        return p;
    }
}
