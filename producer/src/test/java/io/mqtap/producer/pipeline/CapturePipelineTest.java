package io.mqtap.producer.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.capture.AttachMode;
import io.mqtap.capture.MqUnlinkEvent;
import io.mqtap.capture.UnknownCallEvent;
import io.mqtap.producer.core.HostIdentity;
import io.mqtap.producer.kafka.Publisher;
import io.mqtap.producer.kafka.SchemaGate;
import io.mqtap.producer.metrics.PipelineMetrics;
import io.mqtap.producer.spool.DiskSpool;
import io.mqtap.producer.spool.FsyncPolicy;
import io.mqtap.producer.spool.FullPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline's threads, spool and accounting, with a scripted source, a real spool directory and Kafka's MockProducer. */
class CapturePipelineTest {
    private static final int SCHEMA_ID = 7;

    @TempDir Path dir;
    private final List<MqOpenStats> statsSent = new CopyOnWriteArrayList<>();

    private record Setup(FakeEventSource src, MockProducer<byte[], byte[]> kafka, SchemaGate gate, int handoff, OverflowPolicy overflow,
                         DiskSpool.Options spool, Publisher.Readiness readiness, Duration shutdownTimeout, String runId) {}

    private Setup setup(MockProducer<byte[], byte[]> kafka) {
        return new Setup(new FakeEventSource(), kafka, new SchemaGate(() -> { }, 100), 1000, OverflowPolicy.BLOCK,
                spoolOptions(1 << 20, FullPolicy.BLOCK), () -> { }, Duration.ofSeconds(20), "run-1");
    }

    private DiskSpool.Options spoolOptions(long maxBytes, FullPolicy full) {
        return new DiskSpool.Options(dir.resolve("spool"), maxBytes, Math.max(4096, maxBytes / 8), FsyncPolicy.BATCH, 1000, full);
    }

    private CapturePipeline pipeline(Setup s, PipelineMetrics metrics) {
        HostIdentity host = new HostIdentity("h", "m", "b", s.runId());
        return new CapturePipeline(new CapturePipeline.Parts(host, s::src, s.kafka(), name -> "events", "stats", s.gate(),
                (topic, schema) -> SCHEMA_ID, st -> {
                    statsSent.add(st);
                    return new byte[] {0, 0, 0, 0, 8};
                }, s.readiness(), s.spool(), s.handoff(), s.overflow(), 64, 5, Duration.ofSeconds(10), Duration.ofSeconds(60), s.shutdownTimeout(), null,
                io.mqtap.producer.core.Workloads.fromCgroups()), metrics);
    }

    private static MockProducer<byte[], byte[]> mockKafka(boolean autoComplete) {
        return new MockProducer<>(autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The events sent, decoded as a consumer would: magic byte, schema id, Avro body. */
    private static List<MqOpen> events(MockProducer<byte[], byte[]> kafka) {
        return kafka.history().stream().filter(r -> r.topic().equals("events")).map(CapturePipelineTest::decode).toList();
    }

    static {
        // Avro makes a generated class by name only when trusted (the registry's deserializer trusts ours; this test
        // reads without it, and alone it ran before any class that loads it)
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(),
                ClassSecurityValidator.builder().add(MqOpen.class).add(io.mqtap.avro.MqAttr.class).build()));
    }

    private static MqOpen decode(ProducerRecord<byte[], byte[]> r) {
        byte[] v = r.value();
        assertThat(v[0]).isZero();
        assertThat(((v[1] & 0xff) << 24) | ((v[2] & 0xff) << 16) | ((v[3] & 0xff) << 8) | (v[4] & 0xff)).isEqualTo(SCHEMA_ID);
        try {
            return new SpecificDatumReader<>(MqOpen.class).read(null, DecoderFactory.get().binaryDecoder(v, 5, v.length - 5, null));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void await(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void everythingCapturedGoesThroughTheSpoolToKafkaInOrderAndTheFinalStatsSayIt() throws Exception {
        Setup s = setup(mockKafka(true));
        PipelineMetrics metrics = new PipelineMetrics(new MetricRegistry());
        CapturePipeline p = pipeline(s, metrics);
        p.start();
        s.src().push(0, 5_000);
        await(() -> metrics.published.getCount() == 5_000, "all published");
        p.stop();

        List<MqOpen> events = events(s.kafka());
        assertThat(events).hasSize(5_000);
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).getSequence()).isEqualTo(i);
            assertThat(events.get(i).getName()).isEqualTo("q" + i);
        }
        assertThat(s.kafka().history()).filteredOn(r -> r.topic().equals("events")).allMatch(r -> Arrays.equals(r.key(), "m".getBytes()));
        // the interval (60 s) never came: the one stats record is the final one, sent once, after the last acknowledgement
        assertThat(statsSent).hasSize(1);
        MqOpenStats last = statsSent.get(0);
        assertThat(last.getCaptured()).isEqualTo(5_000);
        assertThat(last.getPublished()).isEqualTo(5_000);
        assertThat(last.getSequence()).isEqualTo(4_999);
        assertThat(last.getRunId()).isEqualTo("run-1");
        assertThat(s.src().closed).isTrue();
        assertThat(p.spool().records()).isZero();
        // the producer's throttle time (a broker quota); Kafka's mock producer is never throttled
        assertThat(metrics.registry().getGauges().get("mqtap.kafka.throttleMs").getValue()).isEqualTo(0L);
    }

    /**
     * Odd kernel data: a record of a call type this producer does not know, and one its mapper refuses (an unlink
     * without a name). Each is skipped without a sequence and counted as kernel-side loss; capture goes on.
     */
    @Test
    void recordsTheProducerCannotReadAreCountedAndCaptureGoesOn() throws Exception {
        Setup s = setup(mockKafka(true));
        PipelineMetrics metrics = new PipelineMetrics(new MetricRegistry());
        CapturePipeline p = pipeline(s, metrics);
        p.start();
        io.mqtap.capture.Caller caller = FakeEventSource.event(0).caller();
        s.src().push(0, 10);
        s.src().queue.add(new UnknownCallEvent(2_000_000_000L, AttachMode.TRACEPOINT, caller, 0, 0x7F));
        s.src().push(10, 10);
        s.src().queue.add(new MqUnlinkEvent(2_000_000_001L, AttachMode.TRACEPOINT, caller, null, false, 0, 0, false, null));
        s.src().push(20, 10);
        await(() -> metrics.published.getCount() == 30, "every readable record published");
        assertThat(p.alive()).as("the reader thread still runs").isTrue();
        assertThat(metrics.registry().getGauges().get("mqtap.lost.kernel.unreadable").getValue()).isEqualTo(2L);
        assertThat(metrics.registry().getGauges().get("mqtap.lost.kernel").getValue()).isEqualTo(2L);
        p.stop();

        List<MqOpen> events = events(s.kafka());
        assertThat(events).extracting(MqOpen::getSequence)
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 30).boxed().toList());
        assertThat(events).extracting(MqOpen::getName)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 30).mapToObj(i -> "q" + i).toList());
        MqOpenStats last = statsSent.get(statsSent.size() - 1);
        assertThat(last.getLostUnreadable()).isEqualTo(2L);
        assertThat(last.getLostKernel()).isEqualTo(2L);
        assertThat(last.getCaptured()).isEqualTo(30L);
        assertThat(last.getSequence()).isEqualTo(29L);
    }

    @Test
    void withTheRegistryDownRecordsAreCapturedIntoTheSpoolAndAllGoOutOnceItAnswers() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        SchemaGate gate = new SchemaGate(() -> {
            if (attempts.incrementAndGet() < 4) throw new IllegalStateException("registry down");
        }, 50);
        Setup s0 = setup(mockKafka(true));
        Setup s = new Setup(s0.src(), s0.kafka(), gate, 1000, OverflowPolicy.BLOCK, s0.spool(), s0.readiness(), s0.shutdownTimeout(), "run-1");
        PipelineMetrics metrics = new PipelineMetrics(new MetricRegistry());
        CapturePipeline p = pipeline(s, metrics);
        p.start();
        s.src().push(0, 300);
        await(() -> metrics.published.getCount() == 300, "all published");
        p.stop();
        assertThat(attempts.get()).isGreaterThanOrEqualTo(4);
        assertThat(events(s.kafka())).hasSize(300);
    }

    @Test
    void aFullSpoolWithDropNewestCountsEveryDropAndLeavesGapsInSequence() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        SchemaGate gate = new SchemaGate(() -> {
            if (release.getCount() > 0) throw new IllegalStateException("held");
        }, 20);
        Setup s0 = setup(mockKafka(true));
        Setup s = new Setup(s0.src(), s0.kafka(), gate, 1000, OverflowPolicy.BLOCK, spoolOptions(64 * 1024, FullPolicy.DROP_NEWEST),
                s0.readiness(), s0.shutdownTimeout(), "run-1");
        PipelineMetrics metrics = new PipelineMetrics(new MetricRegistry());
        CapturePipeline p = pipeline(s, metrics);
        p.start();
        s.src().push(0, 3_000);
        await(() -> metrics.captured.getCount() == 3_000 && p.spool().dropped() + p.spool().records() == 3_000, "all spooled or dropped");
        release.countDown();
        await(() -> metrics.published.getCount() + p.spool().dropped() == 3_000, "all published or dropped");
        p.stop();
        List<MqOpen> events = events(s.kafka());
        long dropped = p.spool().dropped();
        assertThat(dropped).isPositive();
        assertThat(p.counters().dropped()).as("the stats' dropped includes the spool's").isEqualTo(dropped);
        assertThat(metrics.dropped.getCount()).as("the hand-off dropped none").isZero();
        assertThat(events.size() + dropped).isEqualTo(3_000);
        assertThat(events.stream().mapToLong(MqOpen::getSequence).max().orElse(-1) + 1 - events.size())
                .as("the gaps are the drops").isLessThanOrEqualTo(dropped);
        assertThat(p.lastSequence()).isEqualTo(2_999);
    }

    @Test
    void aStopIsBoundedByTheShutdownTimeoutAndWhatKafkaDidNotAcknowledgeStaysInTheSpoolForTheNextRun() throws Exception {
        Setup s0 = setup(mockKafka(false));
        Setup a = new Setup(s0.src(), s0.kafka(), s0.gate(), 1000, OverflowPolicy.BLOCK, s0.spool(), s0.readiness(), Duration.ofSeconds(2), "run-a");
        PipelineMetrics ma = new PipelineMetrics(new MetricRegistry());
        CapturePipeline pa = pipeline(a, ma);
        pa.start();
        assertThat(pa.previousRun()).as("a fresh spool: no earlier run").isNull();
        a.src().push(0, 500);
        await(() -> pa.inFlight() == 500, "all sent, none acknowledged");
        long t0 = System.nanoTime();
        pa.stop();
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(tookMs).as("stop took %d ms", tookMs).isLessThan(2_500);
        assertThat(ma.published.getCount()).isZero();
        assertThat(ma.failed.getCount()).as("not acknowledged is not failed: it stays in the spool").isZero();

        // the next run sends the first run's records first, then its own
        Setup b = new Setup(new FakeEventSource(), mockKafka(true), s0.gate(), 1000, OverflowPolicy.BLOCK, s0.spool(), s0.readiness(),
                Duration.ofSeconds(20), "run-b");
        PipelineMetrics mb = new PipelineMetrics(new MetricRegistry());
        CapturePipeline pb = pipeline(b, mb);
        pb.start();
        b.src().push(0, 100);
        await(() -> mb.published.getCount() == 100 && mb.replayed.getCount() == 500, "both runs' records published");
        pb.stop();
        // run b knows how run a ended: cleanly, its last record, and how long nothing was attached
        assertThat(pb.previousRun()).isNotNull();
        assertThat(pb.previousRun().getRunId()).isEqualTo("run-a");
        assertThat(pb.previousRun().getClean()).isTrue();
        assertThat(pb.previousRun().getLastSequence()).isEqualTo(499);
        assertThat(pb.previousRun().getLastEventTime()).isNotNull();
        assertThat(pb.previousRun().getBlindWindowMs()).isNotNull().isBetween(0L, 60_000L);
        assertThat(statsSent).last().satisfies(st -> assertThat(st.getPreviousRun()).isEqualTo(pb.previousRun()));
        List<MqOpen> events = events(b.kafka());
        assertThat(events).hasSize(600);
        assertThat(events.subList(0, 500)).allMatch(e -> e.getRunId().equals("run-a"));
        assertThat(events.subList(500, 600)).allMatch(e -> e.getRunId().equals("run-b"));
        for (int i = 0; i < 500; i++) assertThat(events.get(i).getSequence()).isEqualTo(i);
        assertThat(pb.spool().records()).isZero();
    }

    @Test
    void kafkaNotReachableAtFirstKeepsRecordsInTheSpoolUntilItIs() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        Setup s0 = setup(mockKafka(true));
        Setup s = new Setup(s0.src(), s0.kafka(), s0.gate(), 1000, OverflowPolicy.BLOCK, s0.spool(), () -> {
            if (checks.incrementAndGet() < 3) throw new org.apache.kafka.common.errors.TimeoutException("no broker answers");
        }, s0.shutdownTimeout(), "run-1");
        PipelineMetrics metrics = new PipelineMetrics(new MetricRegistry());
        CapturePipeline p = pipeline(s, metrics);
        p.start();
        s.src().push(0, 200);
        await(() -> p.publisher().notReady() != null && p.publisher().notReady().contains("no broker answers"), "not ready said why");
        await(() -> metrics.published.getCount() == 200, "all published once Kafka answered");
        p.stop();
        assertThat(checks.get()).isEqualTo(3);
    }

    @Test
    void aKafkaProblemOnlyAnOperatorCanFixIsFatal() throws Exception {
        Setup s0 = setup(mockKafka(true));
        Setup s = new Setup(s0.src(), s0.kafka(), s0.gate(), 1000, OverflowPolicy.BLOCK, s0.spool(), () -> {
            throw new IllegalStateException("Kafka topic 'events' has replication factor 1 and min.insync.replicas 1");
        }, s0.shutdownTimeout(), "run-1");
        CapturePipeline p = pipeline(s, new PipelineMetrics(new MetricRegistry()));
        CompletableFuture<String> fatal = new CompletableFuture<>();
        p.onFatal(fatal::complete);
        p.start();
        assertThat(fatal.get(10, TimeUnit.SECONDS)).contains("the Kafka publisher thread stopped")
                .contains("replication factor 1 and min.insync.replicas 1");
        assertThat(p.publisherEnded()).isEqualTo(fatal.get());
        p.stop();
    }

    @Test
    void aReaderThatDiesIsFatalAndTurnsTheProbeCheckRed() throws Exception {
        Setup s = setup(mockKafka(true));
        CapturePipeline p = pipeline(s, new PipelineMetrics(new MetricRegistry()));
        CompletableFuture<String> fatal = new CompletableFuture<>();
        p.onFatal(fatal::complete);
        p.start();
        assertThat(p.probeState().attached()).isTrue();
        s.src().failNext = new IllegalStateException("perf buffer read failed");
        String why = fatal.get(10, TimeUnit.SECONDS);
        assertThat(why).isEqualTo("the capture reader thread stopped: java.lang.IllegalStateException: perf buffer read failed");
        assertThat(p.probeState().attached()).isFalse();
        assertThat(p.probeState().detail()).isEqualTo(why);
        assertThat(new io.mqtap.producer.health.ProbeHealthCheck(p::probeState).execute().isHealthy()).isFalse();
        p.stop();
    }

    @Test
    void aStopAskedForIsNotFatal() throws Exception {
        Setup s = setup(mockKafka(true));
        CapturePipeline p = pipeline(s, new PipelineMetrics(new MetricRegistry()));
        List<String> fatal = new CopyOnWriteArrayList<>();
        p.onFatal(fatal::add);
        p.start();
        s.src().push(0, 10);
        p.stop();
        assertThat(fatal).isEmpty();
        assertThat(p.publisherEnded()).isNull();
    }
}
