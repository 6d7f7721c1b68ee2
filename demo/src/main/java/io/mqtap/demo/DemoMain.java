package io.mqtap.demo;

import io.mqtap.producer.MqTapApplication;
import io.mqtap.producer.cli.RegisterSchemasCommand;
import io.mqtap.producer.cli.RecordJson;
import io.mqtap.producer.stats.StatsReporter;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * {@code ./mqtap demo}: a real Kafka broker, a real Schema Registry and the producer with its real probe, all on
 * 127.0.0.1 in a temporary directory; then the events, read back from Kafka, live. Everything stops on Ctrl-C,
 * SIGTERM or the end of {@code --duration}, and nothing is left running or on disk.
 */
public final class DemoMain {
    private static final String TOPIC = "mq-open-events";
    /** Every record topic: opens and the rest of a queue's life. */
    private static final List<String> TOPICS = List.of(io.mqtap.producer.cli.TailCommand.DEFAULT_TOPICS.split(","));

    private final DemoOptions opts;
    private final PrintStream out;
    private final PrintStream err = System.err;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch cleanedUp = new CountDownLatch(1);
    private Path dir;
    private KafkaBroker broker;
    private SchemaRegistryServer registry;
    private DemoProducer producer;
    private Process generator;
    private Thread lifeGenerator;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread reader;
    private LiveView view;

    private DemoMain(DemoOptions opts, PrintStream out) {
        this.opts = opts;
        this.out = out;
    }

    public static void main(String[] args) {
        // stdout carries only what the demo shows (or JSON lines); everything else, logs included, goes to stderr
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        // until the producer's config takes over logging: warnings only (the broker is chatty)
        io.dropwizard.logging.common.BootstrapLogging.bootstrap(ch.qos.logback.classic.Level.WARN);
        for (String chatty : List.of("org.apache.kafka", "kafka", "org.apache.kafka.controller")) {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(chatty)).setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        DemoOptions opts;
        try {
            opts = DemoOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("mqtap demo: " + e.getMessage());
            System.exit(2);
            return;
        }
        String problem = Privileges.problem();
        if (problem != null) {
            System.err.println("mqtap demo: " + problem);
            System.exit(1);
            return;
        }
        System.exit(new DemoMain(opts, out).run());
    }

    private int run() {
        Thread hook = new Thread(() -> {
            stop.countDown();
            awaitCleanup();
        }, "mqtap-demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        int rc = 0;
        try {
            start();
            long until = opts.durationSeconds() > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(opts.durationSeconds()) : Long.MAX_VALUE;
            while (!stop.await(1, TimeUnit.SECONDS)) {
                if (!opts.json()) view.render(out, counters());
                if (System.nanoTime() >= until) break;
            }
        } catch (Exception e) {
            err.println("mqtap demo: failed: " + e.getMessage());
            showLogTail();
            rc = 1;
        } finally {
            cleanup();
        }
        return rc;
    }

    private void start() throws Exception {
        dir = Files.createTempDirectory("mqtap-demo-");
        step("starting Kafka (KRaft, single node, 127.0.0.1)", () -> broker = KafkaBroker.start());
        err.println("mqtap demo: single-node Kafka, so the producer's durability floor is lowered for it "
                + "(kafka.minReplication 1, kafka.minInsyncReplicas 1; a real cluster needs 3 and 2)");
        step("starting the Schema Registry (Apicurio, 127.0.0.1)", () -> registry = SchemaRegistryServer.start());
        Path config = dir.resolve("mqtap.yml");
        Files.writeString(config, producerConfig());
        // as a fleet's CI/CD does: the producer only looks its schemas up (schemaRegistry.autoRegister is off by default)
        step("registering the record schemas (what `./mqtap schemas register` does)", () -> RegisterSchemasCommand.register(config));
        step("starting the mqtap producer (loading and attaching the eBPF probe)", () -> {
            producer = new DemoProducer();
            producer.run("server", config.toString());
        });
        String probe = producer.pipeline().counters().probe();
        view = new LiveView(String.format("mqtap demo   kafka %s   schema-registry %s   topic %s   probe %s   (Ctrl-C to stop)",
                broker.bootstrapServers(), registry.url(), TOPIC, probe), System.console() != null);
        startReader();
        if (opts.generate()) {
            generator = new ProcessBuilder(MqGen.binary(MqGen.GENERATOR).toString(), "--varied", "--rate",
                    Integer.toString(opts.rate()), "--calls", "0", "--duration-ms", Long.toString(TimeUnit.DAYS.toMillis(1)))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            lifeGenerator = new Thread(this::lives, "mqtap-demo-lives");
            lifeGenerator.setDaemon(true);
            lifeGenerator.start();
        }
        err.printf("mqtap ready kafka=%s schema-registry=%s topic=%s probe=%s%n", broker.bootstrapServers(), registry.url(), TOPIC, probe);
        err.flush();
    }

    private String producerConfig() {
        return String.join("\n",
                "kafka:",
                "  bootstrapServers: " + broker.bootstrapServers(),
                "  topic: " + TOPIC,
                "  partitions: 1",
                "  minReplication: 1",
                "  minInsyncReplicas: 1",
                "schemaRegistry:",
                "  url: " + registry.url(),
                "pipeline:",
                "  statsInterval: 5s",
                "spool:",
                "  dir: " + dir.resolve("spool"),
                "server:",
                "  applicationConnectors: [{type: http, bindHost: 127.0.0.1, port: 0}]",
                "  adminConnectors: [{type: http, bindHost: 127.0.0.1, port: 0}]",
                "  requestLog: {appenders: []}",
                "logging:",
                "  level: INFO",
                "  loggers: {org.apache.kafka: WARN, kafka: WARN, org.eclipse.jetty: WARN}",
                "  appenders: [{type: file, currentLogFilename: " + dir.resolve("mqtap.log") + ", archive: false}]",
                "");
    }

    /** Reads the topic back through the registry, as any downstream consumer would. */
    private void startReader() {
        Map<String, Object> cfg = Map.of("bootstrap.servers", broker.bootstrapServers(), "group.id", "mqtap-demo",
                "auto.offset.reset", "earliest", RegistryConfig.URL, registry.url());
        AvroDeserializer<GenericRecord> values = new AvroDeserializer<>();
        values.configure(cfg, false);
        consumer = new KafkaConsumer<>(cfg, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(TOPICS);
        reader = new Thread(() -> {
            try {
                while (true) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        try {
                            GenericRecord rec = values.deserialize(r.topic(), r.value());
                            view.add(rec);
                            // each line says its record type: the topics' records arrive interleaved
                            if (opts.json()) out.println(RecordJson.toJson(rec, true));
                        } catch (SerializationException e) {
                            err.println("mqtap demo: undecodable record at offset " + r.offset() + ": " + e.getMessage());
                        }
                    }
                }
            } catch (WakeupException e) {
                // asked to stop
            } finally {
                consumer.close(java.time.Duration.ofSeconds(5));
            }
        }, "mqtap-demo-reader");
        reader.start();
    }

    /**
     * Every few seconds, one short life of a queue of the demo's own, so every call shows: open, send and receive (and
     * their failures), getattr and setattr, notify and its removal, unlink (twice: the second fails).
     */
    private void lives() {
        String name = "mqtap-demo-life-" + ProcessHandle.current().pid();
        List<String> steps = List.of("open q name=" + name + " oflag=RDWR|CREAT|NONBLOCK attr=4,64", "send q size=32 repeat=3 quiet",
                "send q size=100", "receive q size=64 repeat=4 quiet", "getattr q", "setattr q nonblock=0", "notify q kind=signal signo=10",
                "notify q kind=remove", "unlink name=" + name, "unlink name=" + name);
        try {
            while (!stop.await(3, TimeUnit.SECONDS)) {
                Process p = new ProcessBuilder(MqGen.binary(MqGen.LIFE_HELPER).toString())
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                p.getOutputStream().write((String.join("\n", steps) + "\n").getBytes(StandardCharsets.UTF_8));
                p.getOutputStream().close();
                waitQuietly(p);
            }
        } catch (IOException e) {
            err.println("mqtap demo: the queue-life generator stopped: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private StatsReporter.Counters counters() {
        return producer.pipeline().counters();
    }

    /** Stops everything this demo started, in reverse order, once. */
    private synchronized void cleanup() {
        if (cleanedUp.getCount() == 0) return;
        try {
            if (generator != null) {
                generator.destroy();
                waitQuietly(generator);
            }
            if (lifeGenerator != null) {
                stop.countDown();
                lifeGenerator.join(10_000);
            }
            StatsReporter.Counters last = null;
            if (producer != null && producer.server() != null) {
                producer.server().stop();  // detaches the probe, drains, publishes and flushes
                last = counters();
            }
            if (reader != null) {
                // let the reader catch up with what the producer flushed, then stop it
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (last != null && view.total() < last.published() && System.nanoTime() < deadline) Thread.sleep(50);
                consumer.wakeup();
                reader.join(10_000);
            }
            if (registry != null) registry.close();
            if (broker != null) broker.close();
            if (last != null) err.println(view.summary(last));
        } catch (Exception e) {
            err.println("mqtap demo: while stopping: " + e);
        } finally {
            deleteDir();
            cleanedUp.countDown();
        }
    }

    private void awaitCleanup() {
        try {
            cleanedUp.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void showLogTail() {
        if (dir == null) return;
        try {
            List<String> lines = Files.readAllLines(dir.resolve("mqtap.log"));
            err.println("mqtap demo: last lines of the producer's log:");
            lines.subList(Math.max(0, lines.size() - 20), lines.size()).forEach(l -> err.println("  " + l));
        } catch (IOException e) {
            // no log yet: the failure happened before the producer started
        }
    }

    private void deleteDir() {
        if (dir == null) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            err.println("mqtap demo: could not remove " + dir + ": " + e.getMessage());
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private void step(String what, Step s) throws Exception {
        err.print("mqtap demo: " + what + " ... ");
        err.flush();
        long t0 = System.nanoTime();
        s.run();
        err.printf("%.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    private static void waitQuietly(Process p) throws InterruptedException {
        if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }

    /** The producer, embedded: a start failure is thrown to the demo instead of exiting the JVM. */
    static final class DemoProducer extends MqTapApplication {
        @Override
        protected void onFatalError(Throwable t) {
            throw new IllegalStateException("the producer did not start: " + t.getMessage(), t);
        }
    }
}
