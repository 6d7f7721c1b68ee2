package io.mqtap.registry.kafka;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.utils.Utils;

/**
 * Puts a keyed record where Kafka's built-in partitioner does (murmur2 of the key modulo the partition count), but with
 * the count each topic had when this producer first sent to it. mqtap makes one producer per run, so partitions added to
 * a topic while a host runs do not move that run's records: they stay in one partition, in order, and the completeness
 * monitor never sees the end of a run overtake its middle. The host's records move to the partition the new count
 * gives at its next start, which is a new run (docs/operations.md, "Partitions, and adding them"). It lives beside the
 * serdes, the Kafka client plugins the producer, the benches and the Streams app's tests share.
 */
public final class RunPinnedPartitioner implements Partitioner {
    private final ConcurrentMap<String, Integer> pinned = new ConcurrentHashMap<>();

    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        Integer now = cluster.partitionCountForTopic(topic);
        // the producer asks only once it has the topic's metadata; a count not known yet is not pinned
        int count = now == null ? cluster.partitionsForTopic(topic).size() : pinned.computeIfAbsent(topic, t -> now);
        if (keyBytes == null) return ThreadLocalRandom.current().nextInt(count); // mqtap keys every record; kept total
        return Utils.toPositive(Utils.murmur2(keyBytes)) % count;
    }

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
}
