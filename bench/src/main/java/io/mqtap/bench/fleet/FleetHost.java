package io.mqtap.bench.fleet;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheck;
import io.mqtap.avro.MqAttr;
import io.mqtap.avro.MqOpen;
import io.mqtap.bench.serde.SerdeBenchmark;
import io.mqtap.producer.config.KafkaFactory;
import io.mqtap.producer.config.SchemaRegistryFactory;
import io.mqtap.producer.core.BootClock;
import io.mqtap.producer.core.HostIdentity;
import io.mqtap.producer.health.KafkaHealthCheck;
import io.mqtap.producer.kafka.CachedSchemaIds;
import io.mqtap.producer.kafka.DeliveryErrors;
import io.mqtap.producer.kafka.KafkaWiring;
import io.mqtap.producer.kafka.ProducerThrottle;
import io.mqtap.producer.kafka.Publisher;
import io.mqtap.producer.kafka.RecordBodies;
import io.mqtap.producer.kafka.SchemaGate;
import io.mqtap.producer.metrics.PipelineMetrics;
import io.mqtap.producer.spool.DiskSpool;
import io.mqtap.producer.spool.FsyncPolicy;
import io.mqtap.producer.spool.FullPolicy;
import io.mqtap.producer.spool.SpoolRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * One simulated host: mqtap's own publishing path (its spool, the publisher thread, a Kafka producer with the
 * producer's settings and client id, its own registry client), fed synthetic MqOpen records. A restart is what a
 * host's restart is: a new run id, new clients, the spool reopened.
 */
final class FleetHost {
    static {
        // the feeder copies the template (MqOpen.newBuilder deep-copies its MqAttr), which Avro allows only for trusted
        // classes; the registry serde trusts them only once a publisher serialized: on a loaded machine the feeder came
        // first, and its SecurityException cancelled it silently (a run with 0 events)
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(),
                ClassSecurityValidator.builder().add(MqOpen.class).add(MqAttr.class).build()));
    }

    private final int index;
    private final String machineId;
    /** The Kafka key of every record: the machine id, encoded once. */
    private final byte[] key;
    private final Path spoolDir;
    private final KafkaFactory kafka;
    private final SchemaRegistryFactory registry;
    private final RecordBodies bodies = new RecordBodies();
    private final MqOpen template = SerdeBenchmark.realisticRecord();
    /** Records made per run id: the ground truth the read-back is checked against. */
    private final Map<String, Long> madePerRun = new ConcurrentHashMap<>();
    /** Records made per minute of their timestamp (epoch ms of the minute's start): the downstream counts' truth. */
    private final Map<Long, Long> madePerMinute = new ConcurrentHashMap<>();
    private final BootClock clock = new BootClock();
    private String runId;
    private long sequence;
    private KafkaWiring wiring;
    private Producer<byte[], byte[]> producer;
    private DiskSpool spool;
    private Publisher publisher;
    private Thread publisherThread;
    private DeliveryErrors errors;
    private double due;
    /** Totals of the producers this host closed (request counts, bytes), so a restart does not reset them. */
    private final Map<String, Double> closedTotals = new java.util.HashMap<>(); // under this host's lock
    private long registryCallsClosed;
    private int producersCreated;

    /** Which variant of the producer settings this host runs (FleetBench --variant). */
    final int variant;

    FleetHost(int index, int variant, Path spoolDir, KafkaFactory kafka, SchemaRegistryFactory registry) {
        this.index = index;
        this.variant = variant;
        this.machineId = String.format("fleet%027d", index);
        this.key = machineId.getBytes(StandardCharsets.UTF_8);
        this.spoolDir = spoolDir;
        this.kafka = kafka;
        this.registry = registry;
    }

    synchronized void start() throws IOException {
        runId = UUID.randomUUID().toString();
        sequence = 0;
        madePerRun.put(runId, 0L);
        HostIdentity host = new HostIdentity("fleet-host-" + index, machineId, "boot-" + index, runId);
        wiring = new KafkaWiring(kafka, registry, host);
        producer = wiring.producer();
        producersCreated++;
        spool = DiskSpool.open(new DiskSpool.Options(spoolDir, 8 << 20, 512 << 10, FsyncPolicy.NEVER, 1000, FullPolicy.BLOCK),
                runId, RecordBodies.WRITER_SCHEMA);
        // the producer's own: the id cache beside the spool, verified with one call after the start jitter
        CachedSchemaIds ids = wiring.schemaIds(registry.idCachePath(spoolDir.toString()));
        SchemaGate gate = new SchemaGate(ids, 5_000, ids::startDelayMillis);
        String topic = kafka.getTopic(); // the fleet sends MqOpen only: every record type to the one topic
        errors = new DeliveryErrors();
        publisher = new Publisher(producer, recordType -> topic, runId, spool, new PipelineMetrics(new MetricRegistry()),
                errors, clock, gate, wiring.values()::schemaId, () -> { });
        publisherThread = new Thread(publisher, "fleet-publisher-" + index);
        publisherThread.setDaemon(true);
        publisherThread.start();
    }

    /** Makes the records this host is due for {@code seconds} at {@code rate}/s (fractions carry over). */
    synchronized void feed(double rate, double seconds) throws InterruptedException {
        due += rate * seconds;
        int n = (int) due;
        if (n == 0 || spool == null) return; // a stopped host captures nothing (its restart is a blind window)
        due -= n;
        List<SpoolRecord> batch = new ArrayList<>(n);
        long now = System.currentTimeMillis() * 1000;
        for (int i = 0; i < n; i++) {
            MqOpen r = MqOpen.newBuilder(template).setMachineId(machineId).setRunId(runId).setSequence(sequence)
                    .setHostname("fleet-host-" + index).setTimestamp(Instant.ofEpochSecond(0, now * 1000)).build();
            batch.add(new SpoolRecord(sequence++, now, key, bodies.encode(r)));
        }
        // under the lock: a stop waits for the append, so every record made is in the spool it drains
        int appended = spool.append(batch, () -> false);
        madePerRun.merge(runId, (long) appended, Long::sum);
        if (appended > 0) madePerMinute.merge(now / 60_000_000 * 60_000, (long) appended, Long::sum);
    }

    /** A clean stop: waits (bounded) until Kafka acknowledged everything spooled, then closes the clients. */
    synchronized void stop(Duration timeout) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while ((spool.records() > 0 || publisher.inFlight() > 0) && System.nanoTime() < deadline) Thread.sleep(5);
        publisher.abort();
        publisherThread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        for (String name : List.of("request-total", "outgoing-byte-total", "record-send-total")) {
            closedTotals.merge(name, producerTotal(name), Double::sum);
        }
        registryCallsClosed += wiring.values().client().requestCount();
        producer.close(Duration.ofSeconds(10));
        spool.close();
        spool = null;
    }

    /** A producer-level metric of the current producer (requests, bytes, connections), plus those of closed ones. */
    synchronized double total(String name) {
        return closedTotals.getOrDefault(name, 0.0) + (spool == null ? 0 : producerTotal(name));
    }

    private double producerTotal(String name) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : producer.metrics().entrySet()) {
            if (e.getKey().name().equals(name) && e.getKey().group().equals("producer-metrics")
                    && e.getValue().metricValue() instanceof Number n) sum += n.doubleValue();
        }
        return sum;
    }

    /** Registry calls this host made: every client it created. */
    synchronized long registryCalls() {
        return registryCallsClosed + (spool == null ? 0 : wiring.values().client().requestCount());
    }

    synchronized boolean drained() {
        return spool == null || spool.records() == 0 && publisher.inFlight() == 0;
    }

    /** The threads that do this host's producer work: its publisher (send() compresses into batches) and its producer's sender. */
    List<String> threadNames() {
        return List.of("fleet-publisher-" + index, "kafka-producer-network-thread | mqtap-fleet-host-" + index);
    }

    static int indexOf(String machineId) {
        return Integer.parseInt(machineId.substring("fleet".length()));
    }

    /** How long a broker quota held this host's producer back lately, ms: what mqtap_kafka_throttle_ms shows (0 while stopped). */
    synchronized long throttleMillis() {
        return spool == null ? 0 : ProducerThrottle.maxMillis(producer);
    }

    /** Records in the spool not acknowledged yet (0 while stopped). */
    synchronized long spooled() {
        return spool == null ? 0 : spool.records();
    }

    /** Records the spool dropped because it was full (it blocks here, so this stays 0 unless that changes). */
    synchronized long spoolDropped() {
        return spool == null ? 0 : spool.dropped();
    }

    /** The producer's own Kafka health check on this host's publisher (null while stopped). */
    synchronized HealthCheck.Result health(Duration ackTimeout) {
        if (spool == null) return null;
        Publisher p = publisher;
        return new KafkaHealthCheck(() -> p, errors, ackTimeout::toNanos, () -> null).execute();
    }

    String machineId() {
        return machineId;
    }

    Map<String, Long> madePerRun() {
        return Map.copyOf(madePerRun);
    }

    Map<Long, Long> madePerMinute() {
        return Map.copyOf(madePerMinute);
    }

    synchronized int producersCreated() {
        return producersCreated;
    }
}
