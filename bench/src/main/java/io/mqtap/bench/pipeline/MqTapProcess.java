package io.mqtap.bench.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.process.ProducerProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One mqtap producer of the pipeline benchmark (testkit's {@link ProducerProcess}), with the view of /metrics it reads. */
final class MqTapProcess implements AutoCloseable {
    /** Counters and the latency histogram, as /metrics gives them at one moment. */
    record Snapshot(long captured, long published, long dropped, long failed, long lostKernel, long handoffDepth,
                    long inflight, long latencyCount, double p50Micros, double p99Micros) {}

    final String label;
    private final ProducerProcess process;
    private ProducerProcess.StopLine stopLine;
    private boolean stopped;

    private MqTapProcess(String label, ProducerProcess process) {
        this.label = label;
        this.process = process;
    }

    /** Writes the config, starts the JVM (the unit's heap) and waits until every health check passes. */
    @SuppressWarnings("unchecked")
    static MqTapProcess start(String label, Path dir, String classpath, List<String> jvmOpts, Map<String, Object> config)
            throws IOException, InterruptedException {
        int admin = Ports.freeLoopbackPort();
        ((Map<String, Object>) config.get("server")).put("adminConnectors",
                List.of(Map.of("type", "http", "bindHost", "127.0.0.1", "port", admin)));
        io.mqtap.bench.SchemasFirst.register(config);
        ProducerProcess p = ProducerProcess.builder().classpath(classpath).jvmOptions(jvmOpts).adminPort(admin)
                .log(dir.resolve(label + ".log")).server(dir.resolve(label + ".yml"), config).start();
        MqTapProcess m = new MqTapProcess(label, p);
        p.awaitHealthy(Duration.ofSeconds(120));
        return m;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return process.log();
    }

    Snapshot metrics() throws IOException, InterruptedException {
        JsonNode m = process.metrics();
        JsonNode lat = m.path("histograms").path("mqtap.latency.kernel_to_ack_micros");
        return new Snapshot(
                m.path("meters").path("mqtap.captured").path("count").asLong(),
                m.path("meters").path("mqtap.published").path("count").asLong(),
                m.path("counters").path("mqtap.dropped").path("count").asLong(),
                m.path("counters").path("mqtap.failed").path("count").asLong(),
                m.path("gauges").path("mqtap.lost.kernel").path("value").asLong(),
                m.path("gauges").path("mqtap.handoff.depth").path("value").asLong(),
                m.path("gauges").path("mqtap.inflight").path("value").asLong(),
                lat.path("count").asLong(), lat.path("p50").asDouble(), lat.path("p99").asDouble());
    }

    /** SIGTERM (the producer drains and flushes), then its stop line; null when it logged none. */
    ProducerProcess.StopLine stop() throws InterruptedException {
        if (!stopped) {
            process.stop(Duration.ofSeconds(60));
            stopLine = process.stopLine();
            stopped = true;
        }
        return stopLine;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    String tail(int lines) {
        return process.tail(lines);
    }
}
