package io.mqtap.connect;

import static org.awaitility.Awaitility.await;

import io.mqtap.producer.MqTapApplication;
import io.mqtap.producer.pipeline.CapturePipeline;
import io.mqtap.producer.stats.StatsReporter;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/**
 * The real thing: mqtap's producer service, embedded, captures the helper's mq_open calls with the kernel probe
 * and publishes them; it is stopped (which publishes and flushes everything captured) before this returns.
 */
final class CapturedMqOpenPublisher implements MqOpenPublisher {
    private final int bulkCalls;

    CapturedMqOpenPublisher(int bulkCalls) {
        this.bulkCalls = bulkCalls;
    }

    @Override
    public int publish(String bootstrapServers, String registryUrl, String topic) throws Exception {
        Path config = Files.createTempFile("mqtap-connect-producer-", ".yml");
        Path dir = Files.createTempDirectory("mqtap-connect-spool-");
        Files.writeString(config, String.join("\n",
                // one broker: the durability floor lowered for it
                "kafka: {bootstrapServers: '" + bootstrapServers + "', topic: " + topic + ", minReplication: 1, minInsyncReplicas: 1}",
                "spool: {dir: '" + dir.resolve("spool") + "'}",
                // opens only: the count published is then the records in the MqOpen topic
                "capture: {queueLife: false}",
                "schemaRegistry: {url: '" + registryUrl + "'}",
                "server:",
                "  applicationConnectors: [{type: http, port: 0}]",
                "  adminConnectors: [{type: http, port: 0}]",
                "  requestLog: {appenders: []}",
                "logging: {level: WARN}",
                ""));
        Embedded app = new Embedded();
        try {
            // as a fleet's CI/CD does (the producer only looks its schemas up)
            io.mqtap.producer.cli.RegisterSchemasCommand.register(config);
            app.run("server", config.toString());
            String q = "lake-" + UUID.randomUUID().toString().substring(0, 8);
            // the odd shapes a lake must keep: attr, errors, non-UTF-8 and control bytes, an over-long name
            MqOpenHelper.HelperRun run = MqOpenHelper.run(
                    "name=" + q + " oflag=RDWR|CREAT mode=0640 attr=4,128",
                    "name=" + q + " oflag=RDONLY|CLOEXEC",
                    "name=" + q + " oflag=RDWR|CREAT|EXCL mode=0600",
                    "name=" + q + "-missing oflag=WRONLY|NONBLOCK",
                    "hex=c3289f0a0d1b7f80",
                    "len=300",
                    "name=" + q + "-bulk repeat=" + bulkCalls + " quiet");
            awaitSettled(app, run.totalCalls());
        } finally {
            if (app.server() != null) app.server().stop();
            Files.deleteIfExists(config);
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        StatsReporter.Counters c = app.pipeline().counters();
        if (c.published() != c.captured()) throw new IllegalStateException("the producer did not publish all it captured: " + c);
        return (int) c.published();
    }

    private static void awaitSettled(Embedded app, long atLeast) {
        CapturePipeline p = app.pipeline();
        await("the producer published the helper's calls").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (app.fatal != null) throw new IllegalStateException("the producer stopped: " + app.fatal);
                    return p.counters();
                }, c -> c.captured() >= atLeast && c.published() == c.captured() && c.inFlight() == 0);
    }

    /** The service embedded in the test JVM; a start failure is thrown and a fatal problem kept, not System.exit. */
    private static final class Embedded extends MqTapApplication {
        volatile String fatal;

        @Override
        protected void onFatalError(Throwable t) {
            throw new IllegalStateException("the producer did not start: " + t.getMessage(), t);
        }

        @Override
        protected void fatal(String why) {
            fatal = why;
        }
    }
}
