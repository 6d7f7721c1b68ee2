package io.mqtap.bench.fleet;

import java.util.Map;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.utils.Utils;

/**
 * Kafka's own placement of a keyed record (murmur2 of the key modulo the partition count the producer knows now), for a
 * fleet variant to compare with mqtap's RunPinnedPartitioner: with this one a running host moves when partitions are added.
 */
public final class CurrentCountPartitioner implements Partitioner {
    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        return Utils.toPositive(Utils.murmur2(keyBytes)) % cluster.partitionsForTopic(topic).size();
    }

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
}
