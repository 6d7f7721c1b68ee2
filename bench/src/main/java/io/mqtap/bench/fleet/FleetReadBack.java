package io.mqtap.bench.fleet;

import io.mqtap.avro.MqOpen;
import io.mqtap.bench.LatencySamples;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroDeserializer;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the topic back from the start while the fleet runs, decoding each record through the registry: which
 * (machineId, runId, sequence) arrived, how often, and how long after the event. The ground truth the bench checks.
 */
final class FleetReadBack implements Runnable, AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AvroDeserializer<MqOpen> values = new AvroDeserializer<>();
    private final String topic;
    /** "machineId/runId" -> sequences seen. */
    private final Map<String, BitSet> seen = new HashMap<>();
    /** "machineId/runId" -> where its records are read, in partition order (for partitions added during the run). */
    private final Map<String, RunOrder> order = new HashMap<>();
    private long records, duplicates, unreadable;
    private long[] latencyMillis = new long[1 << 16];
    private int latencies;
    /** Per group (a variant of the producer settings): latencies of events made inside the steady window only. */
    private final long[][] steadyMillis;
    private final int[] steadyCount;
    private final java.util.function.ToIntFunction<String> groupOf;
    private volatile long windowFromMs = Long.MAX_VALUE, windowToMs = Long.MIN_VALUE;
    private volatile boolean stop;
    /** Hosts whose records' latencies are kept apart (the runaways of a quota run), and both groups' latencies. */
    private volatile java.util.Set<String> marked = java.util.Set.of();
    private final LatencySamples markedLatency = new LatencySamples(), othersLatency = new LatencySamples();
    /** The others' latencies of events made in the steady window: the restart storm's spool waits left out. */
    private final LatencySamples othersSteadyLatency = new LatencySamples();

    FleetReadBack(String bootstrapServers, String registryUrl, String topic, int groups, java.util.function.ToIntFunction<String> groupOf) {
        this.topic = topic;
        this.groupOf = groupOf;
        this.steadyMillis = new long[groups][1 << 12];
        this.steadyCount = new int[groups];
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.METADATA_MAX_AGE_CONFIG, 1_000), // partitions added during the run are read within a second
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        values.configure(Map.of(RegistryConfig.URL, registryUrl, RegistryConfig.SPECIFIC_READER, true), false);
    }

    @Override
    public void run() {
        List<TopicPartition> parts = List.of();
        long nextLook = 0;
        while (!stop) {
            if (System.nanoTime() >= nextLook) {
                parts = followPartitions(parts);
                nextLook = System.nanoTime() + 1_000_000_000L;
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                long now = System.currentTimeMillis();
                MqOpen e;
                try {
                    e = values.deserialize(topic, r.value());
                } catch (RuntimeException ex) {
                    synchronized (this) {
                        unreadable++;
                    }
                    continue;
                }
                synchronized (this) {
                    records++;
                    BitSet s = seen.computeIfAbsent(e.getMachineId() + "/" + e.getRunId(), k -> new BitSet());
                    int seq = (int) e.getSequence();
                    if (s.get(seq)) duplicates++;
                    s.set(seq);
                    order.computeIfAbsent(e.getMachineId() + "/" + e.getRunId(), k -> new RunOrder(r.partition(), groupOf.applyAsInt(e.getMachineId())))
                            .read(r.partition(), seq);
                    if (latencies == latencyMillis.length) latencyMillis = Arrays.copyOf(latencyMillis, latencies * 2);
                    latencyMillis[latencies++] = now - r.timestamp(); // the record's time is the event's
                    if (r.timestamp() >= windowFromMs && r.timestamp() < windowToMs) {
                        int g = groupOf.applyAsInt(e.getMachineId());
                        if (steadyCount[g] == steadyMillis[g].length) steadyMillis[g] = Arrays.copyOf(steadyMillis[g], steadyCount[g] * 2);
                        steadyMillis[g][steadyCount[g]++] = now - r.timestamp();
                    }
                    boolean ofMarked = marked.contains(e.getMachineId());
                    (ofMarked ? markedLatency : othersLatency).add(now - r.timestamp());
                    if (!ofMarked && r.timestamp() >= windowFromMs && r.timestamp() < windowToMs) othersSteadyLatency.add(now - r.timestamp());
                }
            }
        }
    }

    /** The topic's partitions now, each new one read from its start (the others keep their position). */
    private List<TopicPartition> followPartitions(List<TopicPartition> known) {
        List<TopicPartition> now = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        if (now.size() <= known.size()) return known;
        List<TopicPartition> added = now.stream().filter(tp -> !known.contains(tp)).toList();
        consumer.assign(now);
        consumer.seekToBeginning(added);
        return now;
    }

    /**
     * One run as a reader in partition order sees it: the partitions its records came from, and whether a sequence ever
     * arrived before a lower one not yet seen (a gap that closed later: what the completeness monitor would see open).
     */
    private static final class RunOrder {
        final int firstPartition;
        final int group;
        boolean moved;
        boolean overtaken;
        long next;

        RunOrder(int firstPartition, int group) {
            this.firstPartition = firstPartition;
            this.group = group;
        }

        void read(int partition, long seq) {
            if (partition != firstPartition) moved = true;
            if (seq > next) overtaken = true;
            next = Math.max(next, seq + 1);
        }
    }

    /** Per group: {runs, runs read from more than one partition, runs overtaken, runs whose first partition was added}. */
    synchronized long[][] order(int groups, int partitionsBefore) {
        long[][] out = new long[groups][4];
        for (RunOrder o : order.values()) {
            long[] g = out[o.group];
            g[0]++;
            if (o.moved) g[1]++;
            if (o.overtaken) g[2]++;
            if (o.firstPartition >= partitionsBefore) g[3]++;
        }
        return out;
    }

    /** Distinct records of one host's run that arrived: a run's sequences are 0..made-1, so all arrived when this is made. */
    synchronized long distinct(String machineId, String runId) {
        BitSet s = seen.get(machineId + "/" + runId);
        return s == null ? 0 : s.cardinality();
    }

    synchronized long records() {
        return records;
    }

    synchronized long duplicates() {
        return duplicates;
    }

    synchronized long unreadable() {
        return unreadable;
    }

    /** The q-quantile of event-to-consumer latency, ms. */
    synchronized long latencyQuantile(double q) {
        return quantile(latencyMillis, latencies, q);
    }

    /** Events made from {@code fromMs} until {@code toMs} (epoch ms) are also counted per group: the steady state's latency. */
    void steadyWindow(long fromMs, long toMs) {
        windowFromMs = fromMs;
        windowToMs = toMs;
    }

    /** The q-quantile of one group's latency of events made in the steady window, ms. */
    synchronized long steadyQuantile(int group, double q) {
        return quantile(steadyMillis[group], steadyCount[group], q);
    }

    private static long quantile(long[] values, int n, double q) {
        return LatencySamples.quantile(values, n, q);
    }

    /** Keeps the latencies of these hosts' records apart from the others'. */
    void mark(java.util.Set<String> machineIds) {
        marked = java.util.Set.copyOf(machineIds);
    }

    /** The q-quantile of event-to-consumer latency of the marked hosts' records (or the others'), ms; -1 when none. */
    synchronized long latencyQuantile(double q, boolean ofMarked) {
        return (ofMarked ? markedLatency : othersLatency).quantile(q);
    }

    /** The q-quantile of the unmarked hosts' latency of events made in the steady window, ms; -1 when none. */
    synchronized long othersSteadyQuantile(double q) {
        return othersSteadyLatency.quantile(q);
    }

    @Override
    public void close() {
        stop = true;
    }

    void closeConsumer() {
        consumer.close(Duration.ofSeconds(5));
        values.close();
    }
}
