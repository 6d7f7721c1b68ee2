package io.mqtap.bench.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mqtap.bench.BenchArgs;
import io.mqtap.bench.RunReadBack;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaBrokerProcess;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.process.ChildProcesses;
import io.mqtap.testkit.process.ProcStat;
import io.mqtap.testkit.process.ProducerClasspath;
import io.mqtap.testkit.process.ProducerProcess;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import net.sourceforge.argparse4j.inf.ArgumentParser;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * {@code ./mqtap bench soak --minutes N [--rate R]}: the producer (its own JVM) under a steady mq_open rate for
 * N minutes against a broker and a registry (their own processes, 127.0.0.1); samples its RSS (/proc) and heap
 * (/metrics jvm.memory.heap.used) every few seconds, counts what was lost, and writes
 * bench/target/soak.csv and bench/target/soak.png. Last line:
 * {@code soak minutes=<N> rate=<R> calls=<N> read-back=<N> duplicates=<N> lost=<N> counted-lost=<N> rss-first-min=<MiB>
 * rss-last-min=<MiB> heap-max=<MiB> result=pass|fail}: lost is the generator's calls Kafka does not hold (by the dedup key),
 * and the run passes only when none is lost and the producer counted none lost either; exit status 1 when it fails.
 */
public final class SoakBench {
    private static final String PREFIX = "mqtap-soak-";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    record Sample(double seconds, double rssMiB, double heapMiB, long captured, long published, long lost) {}

    public static void main(String[] args) throws Exception {
        ArgumentParser parser = BenchArgs.parser("soak", "a steady rate for a long time: memory, loss and latency over time");
        parser.addArgument("--minutes").metavar("N").type(Double.class).setDefault(10.0).help("how long (default 10)");
        parser.addArgument("--rate").metavar("R").type(Long.class).setDefault(20_000L).help("calls/s (default 20000)");
        parser.addArgument("--sample-seconds").metavar("S").type(Integer.class).setDefault(5).help("sampling period (default 5)");
        Namespace ns = parser.parseArgsOrFail(args);
        double minutes = ns.getDouble("minutes");
        long rate = ns.getLong("rate");
        int everySeconds = ns.getInt("sample_seconds");
        Path root = Path.of(System.getProperty("mqtap.root", ".")).toAbsolutePath().normalize();
        Path out = root.resolve("bench/target");
        Files.createDirectories(out);
        Path work = Files.createTempDirectory("mqtap-soak-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> cleanup(work), "soak-cleanup"));
        KafkaBrokerProcess broker = null;
        SchemaRegistryServer registry = null;
        boolean failed = false;
        try {
            broker = KafkaBrokerProcess.start(work.resolve("kafka"), Ports.freeLoopbackPort(), Ports.freeLoopbackPort(),
                    System.getProperty("java.class.path"), work.resolve("broker.log"));
            KafkaBrokerProcess started = broker;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.kill(); // by its PID, also when this JVM is stopped with SIGTERM or Ctrl-C
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "soak-broker-stop"));
            registry = SchemaRegistryServer.start();
            int admin = Ports.freeLoopbackPort();
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("kafka", Map.of("bootstrapServers", broker.bootstrapServers(), "topic", "mq-open-events", "statsTopic", "mq-open-stats",
                    "partitions", 1, "minReplication", 1, "minInsyncReplicas", 1));
            c.put("spool", Map.of("dir", work.resolve("spool").toString()));
            c.put("schemaRegistry", Map.of("url", registry.url()));
            // one uid at 20,000 calls/s: past the default per-user budget, which this bench does not measure
            c.put("capture", Map.of("filters", Map.of("namePrefix", PREFIX), "fairness", Map.of("enabled", false)));
            c.put("pipeline", Map.of("statsInterval", "10s"));
            c.put("server", Map.of("applicationConnectors", List.of(Map.of("type", "http", "bindHost", "127.0.0.1", "port", 0)),
                    "adminConnectors", List.of(Map.of("type", "http", "bindHost", "127.0.0.1", "port", admin))));
            c.put("logging", Map.of("level", "INFO", "loggers", Map.of("org.apache.kafka", "WARN")));
            // the unit's heap (ProducerProcess.UNIT_HEAP, as deploy/mqtap.service)
            io.mqtap.bench.SchemasFirst.register(c);
            ProducerProcess producer = ProducerProcess.builder().classpath(ProducerClasspath.of(root)).adminPort(admin)
                    .log(work.resolve("producer.log")).server(work.resolve("soak.yml"), c).start();
            producer.awaitHealthy(Duration.ofSeconds(120));
            say("producer pid %d up; %s min at %d events/s, a sample every %d s", producer.pid(), fmt(minutes), rate, everySeconds);
            long durationMs = Math.round(minutes * 60_000);
            Process gen = ChildProcesses.track(MqOpenGenerator.start(new MqOpenGenerator.Options(0, rate, durationMs, PREFIX + "q", false)));
            List<Sample> samples = new ArrayList<>();
            long t0 = System.nanoTime();
            while (gen.isAlive()) {
                samples.add(sample(producer.pid(), admin, t0));
                Sample s = samples.get(samples.size() - 1);
                if (samples.size() % 12 == 1) {
                    say("t=%.0f s RSS %.0f MiB heap %.0f MiB captured %d published %d lost %d", s.seconds(), s.rssMiB(), s.heapMiB(),
                            s.captured(), s.published(), s.lost());
                }
                gen.waitFor(everySeconds, TimeUnit.SECONDS);
            }
            MqOpenGenerator.Result g = MqOpenGenerator.await(gen);
            // let the last events through, then the final sample
            long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Sample last;
            do {
                Thread.sleep(500);
                last = sample(producer.pid(), admin, t0);
            } while (last.published() + last.lost() < g.calls() && System.nanoTime() < settle);
            samples.add(last);
            final double lastT = last.seconds();
            String runId = producer.runId();
            producer.stop(Duration.ofSeconds(60));
            // the ground truth: the generator's calls against what Kafka holds of them, by the dedup key
            RunReadBack.Count kafka = RunReadBack.of(broker.bootstrapServers(), registry.url(), "mq-open-events", runId, g.pid(),
                    Duration.ofSeconds(10));
            long lostInKafka = g.calls() - kafka.distinct();

            Path csv = out.resolve("soak.csv");
            StringBuilder sb = new StringBuilder("seconds,rss_mib,heap_used_mib,captured,published,lost\n");
            for (Sample s : samples) {
                sb.append(String.format(Locale.ROOT, "%.1f,%.1f,%.1f,%d,%d,%d%n", s.seconds(), s.rssMiB(), s.heapMiB(), s.captured(),
                        s.published(), s.lost()));
            }
            Files.writeString(csv, sb);
            Path png = out.resolve("soak.png");
            plot(samples, png, String.format(Locale.ROOT, "mqtap soak: %d events/s for %s min (%d calls, %d lost)", rate, fmt(minutes),
                    g.calls(), g.calls() - last.published()));
            double firstMin = samples.stream().filter(s -> s.seconds() <= 60).mapToDouble(Sample::rssMiB).max().orElse(Double.NaN);
            double lastMin = samples.stream().filter(s -> s.seconds() >= lastT - 60).mapToDouble(Sample::rssMiB).max().orElse(Double.NaN);
            double heapMax = samples.stream().mapToDouble(Sample::heapMiB).max().orElse(Double.NaN);
            say("wrote %s and %s (%d samples); generator: %d calls at %.0f/s", csv, png, samples.size(), g.calls(), g.callsPerSec());
            boolean pass = lostInKafka == 0 && lostInKafka == last.lost();
            System.out.printf(Locale.ROOT, "soak minutes=%s rate=%d calls=%d read-back=%d duplicates=%d lost=%d counted-lost=%d "
                            + "rss-first-min=%.0f rss-last-min=%.0f heap-max=%.0f result=%s%n", fmt(minutes), rate, g.calls(), kafka.distinct(),
                    kafka.duplicates(), lostInKafka, last.lost(), firstMin, lastMin, heapMax, pass ? "pass" : "fail");
            if (!pass) failed = true;
        } finally {
            cleanup(work);
            if (registry != null) registry.close();
            if (broker != null) broker.close();
        }
        if (failed) System.exit(1);
    }

    private static Sample sample(long pid, int admin, long t0) throws Exception {
        JsonNode m = metrics(admin);
        double heap = m == null ? Double.NaN : m.path("gauges").path("jvm.memory.heap.used").path("value").asDouble() / (1 << 20);
        long captured = m == null ? -1 : m.path("meters").path("mqtap.captured").path("count").asLong();
        long published = m == null ? -1 : m.path("meters").path("mqtap.published").path("count").asLong();
        long lost = m == null ? -1 : m.path("gauges").path("mqtap.lost.kernel").path("value").asLong()
                + m.path("counters").path("mqtap.dropped").path("count").asLong() + m.path("counters").path("mqtap.failed").path("count").asLong();
        return new Sample((System.nanoTime() - t0) / 1e9, ProcStat.rssMiB(pid), heap, captured, published, lost);
    }

    private static JsonNode metrics(int admin) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** RSS and heap over time, one PNG, drawn with java.awt (headless). */
    static void plot(List<Sample> samples, Path png, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 960;
        int h = 480;
        int left = 70;
        int right = 20;
        int top = 40;
        int bottom = 50;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double tMax = Math.max(1, samples.stream().mapToDouble(Sample::seconds).max().orElse(1));
        double yMax = samples.stream().mapToDouble(s -> Math.max(s.rssMiB(), Double.isNaN(s.heapMiB()) ? 0 : s.heapMiB())).max().orElse(1);
        yMax = Math.ceil(yMax * 1.15 / 50) * 50;
        int pw = w - left - right;
        int ph = h - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 5; i++) {
            int y = top + ph - i * ph / 5;
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.0f MiB", yMax * i / 5), 5, y + 4);
        }
        for (int i = 0; i <= 10; i++) {
            int x = left + i * pw / 10;
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.1f", tMax * i / 10 / 60), x - 10, top + ph + 18);
        }
        g.drawString("minutes", left + pw / 2 - 20, h - 10);
        g.drawRect(left, top, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 25);
        series(g, samples, Sample::rssMiB, new Color(200, 50, 50), tMax, yMax, left, top, pw, ph);
        series(g, samples, Sample::heapMiB, new Color(40, 90, 200), tMax, yMax, left, top, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(new Color(200, 50, 50));
        g.drawString("RSS (VmRSS)", left + 10, top + 16);
        g.setColor(new Color(40, 90, 200));
        g.drawString("heap used (jvm.memory.heap.used)", left + 110, top + 16);
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    private static void series(Graphics2D g, List<Sample> samples, java.util.function.ToDoubleFunction<Sample> f, Color c,
                               double tMax, double yMax, int left, int top, int pw, int ph) {
        g.setColor(c);
        g.setStroke(new BasicStroke(2f));
        int px = -1;
        int py = -1;
        for (Sample s : samples) {
            double v = f.applyAsDouble(s);
            if (Double.isNaN(v)) continue;
            int x = left + (int) Math.round(s.seconds() / tMax * pw);
            int y = top + ph - (int) Math.round(v / yMax * ph);
            if (px >= 0) g.drawLine(px, py, x, y);
            px = x;
            py = y;
        }
    }

    private static void cleanup(Path work) {
        ChildProcesses.stopAll();
        if (Files.exists(work)) {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // best effort
            }
        }
    }

    private static String fmt(double minutes) {
        return minutes == Math.rint(minutes) ? Long.toString((long) minutes) : Double.toString(minutes);
    }

    private static void say(String fmt, Object... args) {
        System.out.println("[" + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "] "
                + String.format(Locale.ROOT, fmt, args));
        System.out.flush();
    }
}
