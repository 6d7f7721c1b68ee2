package io.mqtap.release;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real Prometheus server (Debian's, on 127.0.0.1) scraping a running producer (the release layout, real probe,
 * broker and registry) with deploy/prometheus/mqtap-rules.yml loaded: MqtapEventsLost fires when the test makes
 * the kernel buffer overflow; and deploy/grafana/mqtap.json is checked against the same scrape and server.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@Tag("jvm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrometheusIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = Path.of(System.getProperty("mqtap.root", ".."));
    private final HttpClient http = HttpClient.newHttpClient();
    private Path dir;
    private KafkaBroker broker;
    private Process producer;
    private Path generator;
    private Process prometheus;
    private String admin;
    private String promUrl;

    @BeforeAll
    void start() throws Exception {
        Kernel.assumeBpf();
        dir = Files.createTempDirectory("mqtap-prometheus-it-");
        broker = KafkaBroker.start();
        int adminPort = Ports.freeLoopbackPort();
        admin = "http://127.0.0.1:" + adminPort;
        // one page per CPU: a buffer that overflows as soon as the reader stops; a spool of its own (the shipped
        // /var/lib/mqtap/spool is the installed service's), and the durability floor one broker allows
        Path config = dir.resolve("config.yml");
        // the burst under a comm of its own, and the producer filtered on it: other suites' calls on this host (opens,
        // and every call of a queue's life) would fill the stopped reader's buffer and count in the loss too
        String comm = "pgen" + Long.toHexString(System.nanoTime() & 0xFFFF_FFFFL);
        generator = Files.createSymbolicLink(dir.resolve(comm), MqGen.binary(MqGen.GENERATOR).toAbsolutePath());
        String shipped = Files.readString(ROOT.resolve("producer/config.yml"));
        assertThat(shipped).as("the shipped config's comm filter, edited here").contains("    includeComms: []\n");
        Files.writeString(config, ShippedConfig.forOneBroker(shipped, dir.resolve("spool"))
                .replace("perCpuPages: 256", "perCpuPages: 1").replace("wakeupBytes: 65536", "wakeupBytes: 1024")
                .replace("    includeComms: []\n", "    includeComms: [" + comm + "]\n"));
        Path launcher;
        try (var ls = Files.newDirectoryStream(Path.of(System.getProperty("mqtap.release.dir", "target")), "mqtap-*")) {
            launcher = null;
            for (Path p : ls) if (Files.isExecutable(p.resolve("bin/mqtap"))) launcher = p.resolve("bin/mqtap");
        }
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "server", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("producer.log").toFile());
        pb.environment().put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
        pb.environment().put("SCHEMA_REGISTRY_URL", SchemaRegistryServer.shared().url());
        pb.environment().put("MQTAP_PORT", Integer.toString(Ports.freeLoopbackPort()));
        pb.environment().put("MQTAP_ADMIN_PORT", Integer.toString(adminPort));
        // the packaged command registers the schemas first (the shipped config has autoRegister off)
        SchemasFirst.register(List.of(launcher.toString(), "server", config.toString()), pb.environment());
        producer = pb.start();
        awaitLog(dir.resolve("producer.log"), "Capturing mq_open with the ", producer);

        int promPort = Ports.freeLoopbackPort();
        promUrl = "http://127.0.0.1:" + promPort;
        Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
                "global: {scrape_interval: 1s, evaluation_interval: 1s}",
                "rule_files: ['" + ROOT.resolve("deploy/prometheus/mqtap-rules.yml").toAbsolutePath() + "']",
                "scrape_configs:",
                "  - job_name: mqtap",
                "    metrics_path: /prometheus",
                "    static_configs: [{targets: ['127.0.0.1:" + adminPort + "']}]", ""));
        prometheus = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + promPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        await("the producer scraped", () -> query("mqtap_events_lost_total{stage=\"kernel\"}").path("data").path("result").size() == 1);
    }

    @AfterAll
    void stop() throws Exception {
        for (Process p : new Process[] {prometheus, producer}) {
            if (p == null) continue;
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        }
        if (broker != null) broker.close();
        if (dir != null) new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
    }

    @Test
    @Order(1)
    void theLossAlertFiresWhenTheKernelBufferOverflows() throws Exception {
        assertThat(firing("MqtapEventsLost")).as("no loss yet").isFalse();
        long pid = producer.toHandle().pid();
        // the reader stops (SIGSTOP), the calls keep coming: one page per CPU holds a few events, the rest is lost
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        MqOpenGenerator.Result burst;
        try {
            burst = MqOpenGenerator.await(MqOpenGenerator.start(MqOpenGenerator.Options.burst(20_000), generator));
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
        }
        await("MqtapEventsLost firing for stage kernel", () -> firing("MqtapEventsLost"));
        double lost = query("max_over_time(mqtap_events_lost_total{stage=\"kernel\"}[5m])").path("data").path("result").get(0).path("value").get(1).asDouble();
        assertThat(lost).isPositive().isLessThanOrEqualTo(burst.calls());
    }

    @Test
    @Order(2)
    void everyDashboardQueryNamesAScrapedMetricAndRuns() throws Exception {
        String scrape = get(admin + "/prometheus");
        Set<String> scraped = new HashSet<>();
        for (String line : scrape.split("\n")) {
            if (line.startsWith("# TYPE ")) scraped.add(line.split(" ")[2]);
            else if (!line.startsWith("#") && !line.isBlank()) scraped.add(line.split("[{ ]")[0]);
        }
        JsonNode dash = JSON.readTree(ROOT.resolve("deploy/grafana/mqtap.json").toFile());
        assertThat(dash.path("uid").asText()).isEqualTo("mqtap-overview");
        Set<Integer> ids = new HashSet<>();
        Set<String> used = new TreeSet<>();
        Pattern metric = Pattern.compile("\\b((?:mqtap|process)_[a-z_]+)\\b");
        int queries = 0;
        for (JsonNode p : dash.path("panels")) {
            assertThat(ids.add(p.path("id").asInt())).as("unique panel id " + p.path("id")).isTrue();
            assertThat(p.path("gridPos").path("w").asInt()).isBetween(1, 24);
            if (p.path("type").asText().equals("row")) continue;
            assertThat(p.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            for (JsonNode t : p.path("targets")) {
                String expr = t.path("expr").asText();
                Matcher m = metric.matcher(expr);
                while (m.find()) used.add(m.group(1));
                JsonNode r = query(expr.replace("$__rate_interval", "1m").replace("$job", ".*").replace("$instance", ".*"));
                assertThat(r.path("status").asText()).as(p.path("title") + ": " + expr + " -> " + r).isEqualTo("success");
                queries++;
            }
        }
        assertThat(queries).isGreaterThanOrEqualTo(15);
        for (String m : used) {
            String family = m.replaceFirst("_bucket$", "");
            assertThat(scraped).as("dashboard metric " + m + " in a real scrape").contains(family);
        }
        // the variables' query finds the producer by its job
        assertThat(query("group by (job, instance) (mqtap_build_info)").path("data").path("result").get(0).path("metric").path("job").asText())
                .isEqualTo("mqtap");
    }

    private boolean firing(String alert) throws Exception {
        for (JsonNode a : JSON.readTree(get(promUrl + "/api/v1/alerts")).path("data").path("alerts"))
            if (a.path("labels").path("alertname").asText().equals(alert) && a.path("state").asText().equals("firing")
                    && a.path("labels").path("stage").asText().equals("kernel")) return true;
        return false;
    }

    private JsonNode query(String promql) throws Exception {
        return JSON.readTree(get(promUrl + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
    }

    private String get(String url) throws Exception {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException e) {
            return "{}";
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private void await(String what, Check c) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (c.ok()) return;
            Thread.sleep(500);
        }
        throw new AssertionError("no " + what + " within 90 s; prometheus log:\n" + Files.readString(dir.resolve("prometheus.log"))
                + "\nproducer log:\n" + Files.readString(dir.resolve("producer.log")));
    }

    private static void awaitLog(Path log, String line, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.readString(log).contains(line)) {
            if (!p.isAlive() || System.nanoTime() > deadline) throw new AssertionError("no '" + line + "':\n" + Files.readString(log));
            Thread.sleep(200);
        }
    }
}
