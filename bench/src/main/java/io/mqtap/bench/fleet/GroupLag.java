package io.mqtap.bench.fleet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A consumer group's progress on one topic, sampled from outside the way an operator sees it: the group's committed
 * offsets against the partitions' log end offsets. Lag is the sum over partitions of (log end - committed; a
 * partition without a commit counts from 0), consumed is the sum of committed offsets. With exactly-once the log end
 * includes transaction markers, so an idle group's lag is a few records per partition, not 0.
 */
final class GroupLag {
    /** One sample: seconds since the sampler's start, the phase then, lag and committed total. */
    record Sample(double at, String phase, long lag, long consumed) {}

    private final Admin admin;
    private final String group;
    private final String topic;
    private final List<Sample> samples = new ArrayList<>();

    GroupLag(Admin admin, String group, String topic) {
        this.admin = admin;
        this.group = group;
        this.topic = topic;
    }

    /** Takes a sample now; a failed look-up (a broker busy, the group rebalancing) is skipped, not recorded. */
    void sample(double at, String phase) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions();
            Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
            partitions.forEach(p -> ask.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(ask).all().get(10, TimeUnit.SECONDS);
            long lag = 0, consumed = 0;
            for (var e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                long at0 = c == null ? 0 : c.offset();
                lag += Math.max(0, e.getValue().offset() - at0);
                consumed += at0;
            }
            synchronized (samples) {
                samples.add(new Sample(at, phase, lag, consumed));
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        }
    }

    List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /** Highest lag sampled in a phase (-1: no sample in it). */
    long maxLag(String phase) {
        return samples().stream().filter(s -> s.phase().equals(phase)).mapToLong(Sample::lag).max().orElse(-1);
    }

    /** Highest lag sampled. */
    long maxLag() {
        return samples().stream().mapToLong(Sample::lag).max().orElse(-1);
    }

    /** The last lag sampled (-1: none). */
    long lastLag() {
        List<Sample> s = samples();
        return s.isEmpty() ? -1 : s.get(s.size() - 1).lag();
    }

    /**
     * The fastest rate at which the group's commits advanced over any {@code window} seconds, records/s: while it
     * catches up after a kill or a storm this is what the group can do, not what the topic offered.
     */
    double peakRate(double window) {
        List<Sample> s = samples();
        double best = 0;
        for (int i = 0; i < s.size(); i++) {
            for (int j = i + 1; j < s.size(); j++) {
                double dt = s.get(j).at() - s.get(i).at();
                if (dt >= window) {
                    best = Math.max(best, (s.get(j).consumed() - s.get(i).consumed()) / dt);
                    break;
                }
            }
        }
        return best;
    }

    String group() {
        return group;
    }
}
