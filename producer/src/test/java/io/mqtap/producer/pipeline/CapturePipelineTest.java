package io.mqtap.producer.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.producer.core.HostIdentity;
import io.mqtap.producer.kafka.SchemaGate;
import io.mqtap.producer.metrics.PipelineMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The pipeline's threads and accounting, with a scripted source and Kafka's MockProducer. */
class CapturePipelineTest {
    private final HostIdentity host = new HostIdentity("h", "m", "b", "run-1");

    private CapturePipeline pipeline(FakeEventSource src, MockProducer<String, SpecificRecord> kafka, SchemaGate gate,
                                     int capacity, OverflowPolicy policy, PipelineMetrics metrics) {
        return pipeline(src, kafka, gate, capacity, policy, metrics, Duration.ofSeconds(20));
    }

    private CapturePipeline pipeline(FakeEventSource src, MockProducer<String, SpecificRecord> kafka, SchemaGate gate,
                                     int capacity, OverflowPolicy policy, PipelineMetrics metrics, Duration shutdownTimeout) {
        return new CapturePipeline(new CapturePipeline.Parts(host, () -> src, kafka, "events", "stats", gate, capacity,
                policy, 64, 5, Duration.ofSeconds(60), shutdownTimeout), metrics);
    }

    private static MockProducer<String, SpecificRecord> mockKafka() {
        return new MockProducer<>(true, null, new StringSerializer(), (t, v) -> new byte[0]);
    }

    @Test
    void stopPublishesEverythingCapturedWithContiguousSequence() throws Exception {
        FakeEventSource src = new FakeEventSource();
        MockProducer<String, SpecificRecord> kafka = mockKafka();
        PipelineMetrics metrics = new PipelineMetrics(new MetricRegistry());
        CapturePipeline p = pipeline(src, kafka, new SchemaGate(() -> {}, 100), 1000, OverflowPolicy.BLOCK, metrics);
        p.start();
        src.push(0, 5_000);
        p.stop();

        List<ProducerRecord<String, SpecificRecord>> sent = kafka.history();
        List<MqOpen> events = sent.stream().filter(r -> r.topic().equals("events")).map(r -> (MqOpen) r.value()).toList();
        assertThat(events).hasSize(5_000);
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).getSequence()).isEqualTo(i);
            assertThat(events.get(i).getName()).isEqualTo("q" + i);
        }
        assertThat(sent).filteredOn(r -> r.topic().equals("events")).allMatch(r -> r.key().equals("m"));
        // the interval (60 s) never came: the one stats record is the final one, sent once, after the last acknowledgement
        List<MqOpenStats> stats = sent.stream().filter(r -> r.topic().equals("stats")).map(r -> (MqOpenStats) r.value()).toList();
        assertThat(stats).hasSize(1);
        MqOpenStats last = stats.get(0);
        assertThat(last.getCaptured()).isEqualTo(5_000);
        assertThat(last.getPublished()).isEqualTo(5_000);
        assertThat(last.getSequence()).isEqualTo(4_999);
        assertThat(last.getRunId()).isEqualTo("run-1");
        assertThat(src.closed).isTrue();
    }

    @Test
    void recordsWaitForTheSchemaThenAllGoOut() throws Exception {
        FakeEventSource src = new FakeEventSource();
        MockProducer<String, SpecificRecord> kafka = mockKafka();
        AtomicInteger attempts = new AtomicInteger();
        SchemaGate gate = new SchemaGate(() -> {
            if (attempts.incrementAndGet() < 4) throw new IllegalStateException("registry down");
        }, 50);
        CapturePipeline p = pipeline(src, kafka, gate, 1000, OverflowPolicy.BLOCK, new PipelineMetrics(new MetricRegistry()));
        p.start();
        src.push(0, 300);
        Thread.sleep(50);
        p.stop();
        assertThat(attempts.get()).isGreaterThanOrEqualTo(4);
        assertThat(kafka.history().stream().filter(r -> r.topic().equals("events")).count()).isEqualTo(300);
    }

    @Test
    void dropPolicyCountsWhatDoesNotFitAndLeavesGapsInSequence() throws Exception {
        FakeEventSource src = new FakeEventSource();
        MockProducer<String, SpecificRecord> kafka = mockKafka();
        PipelineMetrics metrics = new PipelineMetrics(new MetricRegistry());
        // the gate holds the publisher until released, so the hand-off fills
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        SchemaGate gate = new SchemaGate(() -> {
            if (release.getCount() > 0) throw new IllegalStateException("held");
        }, 20);
        CapturePipeline p = pipeline(src, kafka, gate, 100, OverflowPolicy.DROP, metrics);
        p.start();
        src.push(0, 1_000);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> metrics.captured.getCount() >= 1_000);
        release.countDown();
        p.stop();
        long published = kafka.history().stream().filter(r -> r.topic().equals("events")).count();
        assertThat(metrics.dropped.getCount()).isPositive();
        assertThat(published + metrics.dropped.getCount()).isEqualTo(1_000);
        assertThat(p.lastSequence()).isEqualTo(999);
    }

    @Test
    void aStopIsBoundedByTheShutdownTimeoutWhenKafkaNeverAcknowledges() throws Exception {
        FakeEventSource src = new FakeEventSource();
        // as KafkaProducer.close(timeout) does: what is still unacknowledged fails in its callback
        MockProducer<String, SpecificRecord> kafka = new MockProducer<>(false, null, new StringSerializer(), (t, v) -> new byte[0]) {
            @Override
            public void close(Duration timeout) {
                while (errorNext(new org.apache.kafka.common.errors.TimeoutException("closed before it was acknowledged"))) {
                    // one pending send failed per call
                }
                super.close(timeout);
            }
        };
        PipelineMetrics metrics = new PipelineMetrics(new MetricRegistry());
        CapturePipeline p = pipeline(src, kafka, new SchemaGate(() -> {}, 100), 1000, OverflowPolicy.BLOCK, metrics,
                Duration.ofSeconds(2));
        p.start();
        src.push(0, 500);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (p.publisher().inFlight() < 500 && System.nanoTime() < deadline) Thread.sleep(10);
        long t0 = System.nanoTime();
        p.stop();
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(tookMs).as("stop took %d ms", tookMs).isLessThan(2_500);
        assertThat(metrics.captured.getCount()).isEqualTo(500);
        assertThat(metrics.published.getCount()).isZero();
        assertThat(metrics.failed.getCount()).as("every unacknowledged record is counted").isEqualTo(500);
        assertThat(p.publisher().inFlight()).isZero();
        assertThat(src.closed).isTrue();
    }

    @Test
    void aReaderThatDiesIsFatalAndTurnsTheProbeCheckRed() throws Exception {
        FakeEventSource src = new FakeEventSource();
        PipelineMetrics metrics = new PipelineMetrics(new MetricRegistry());
        CapturePipeline p = pipeline(src, mockKafka(), new SchemaGate(() -> {}, 100), 1000, OverflowPolicy.BLOCK, metrics);
        java.util.concurrent.CompletableFuture<String> fatal = new java.util.concurrent.CompletableFuture<>();
        p.onFatal(fatal::complete);
        p.start();
        assertThat(p.probeState().attached()).isTrue();
        src.failNext = new IllegalStateException("perf buffer read failed");
        String why = fatal.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(why).isEqualTo("the capture reader thread stopped: java.lang.IllegalStateException: perf buffer read failed");
        assertThat(p.probeState().attached()).isFalse();
        assertThat(p.probeState().detail()).isEqualTo(why);
        assertThat(new io.mqtap.producer.health.ProbeHealthCheck(p::probeState).execute().isHealthy()).isFalse();
        p.stop();
    }

    @Test
    void aStopAskedForIsNotFatal() throws Exception {
        FakeEventSource src = new FakeEventSource();
        CapturePipeline p = pipeline(src, mockKafka(), new SchemaGate(() -> {}, 100), 1000, OverflowPolicy.BLOCK,
                new PipelineMetrics(new MetricRegistry()));
        List<String> fatal = new java.util.concurrent.CopyOnWriteArrayList<>();
        p.onFatal(fatal::add);
        p.start();
        src.push(0, 10);
        p.stop();
        assertThat(fatal).isEmpty();
        assertThat(p.publisherEnded()).isNull();
    }
}
