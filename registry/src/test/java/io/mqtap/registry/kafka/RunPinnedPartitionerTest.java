package io.mqtap.registry.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.junit.jupiter.api.Test;

class RunPinnedPartitionerTest {
    private static final Node NODE = new Node(1, "127.0.0.1", 9092);

    private static Cluster cluster(int events, int stats) {
        List<PartitionInfo> parts = new ArrayList<>();
        for (int i = 0; i < events; i++) parts.add(new PartitionInfo("events", i, NODE, new Node[] {NODE}, new Node[] {NODE}));
        for (int i = 0; i < stats; i++) parts.add(new PartitionInfo("stats", i, NODE, new Node[] {NODE}, new Node[] {NODE}));
        return new Cluster("c", List.of(NODE), parts, Set.of(), Set.of());
    }

    @Test
    void placesAKeyAsKafkaDoesThenKeepsItsPartitionWhenPartitionsAreAdded() {
        RunPinnedPartitioner pinned = new RunPinnedPartitioner();
        int moved = 0;
        for (int i = 0; i < 200; i++) {
            byte[] key = String.format("%032x", i).getBytes(StandardCharsets.UTF_8);
            int before = pinned.partition("events", null, key, null, null, cluster(6, 1));
            assertThat(before).as("Kafka's own placement for the count it has").isEqualTo(BuiltInPartitioner.partitionForKey(key, 6));
            int after = pinned.partition("events", null, key, null, null, cluster(12, 1));
            assertThat(after).as("the run keeps its partition").isEqualTo(before);
            if (BuiltInPartitioner.partitionForKey(key, 12) != before) moved++;
        }
        assertThat(moved).as("keys Kafka's own placement would have moved").isPositive();
        // a new run (a new producer, so a new partitioner) takes the count the topic has then
        RunPinnedPartitioner next = new RunPinnedPartitioner();
        byte[] key = "host".getBytes(StandardCharsets.UTF_8);
        assertThat(next.partition("events", null, key, null, null, cluster(12, 1))).isEqualTo(BuiltInPartitioner.partitionForKey(key, 12));
    }

    @Test
    void eachTopicIsPinnedAtItsOwnFirstRecord() {
        RunPinnedPartitioner pinned = new RunPinnedPartitioner();
        byte[] key = "some-host".getBytes(StandardCharsets.UTF_8);
        pinned.partition("events", null, key, null, null, cluster(6, 1));
        // the stats topic's first record comes after it grew: that count is the one kept
        assertThat(pinned.partition("stats", null, key, null, null, cluster(6, 3))).isEqualTo(BuiltInPartitioner.partitionForKey(key, 3));
        assertThat(pinned.partition("stats", null, key, null, null, cluster(6, 6))).isEqualTo(BuiltInPartitioner.partitionForKey(key, 3));
        assertThat(pinned.partition("events", null, null, null, null, cluster(12, 6))).as("an unkeyed record: a pinned partition")
                .isBetween(0, 5);
    }
}
