package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.ResourceHelpers;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.avro.UidSuppression;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.process.ProducerProcess;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SIGHUP on a running producer (real probe, broker, registry): the new filters apply in the kernel without a
 * restart (same run id, probe still attached), a setting that needs a restart is named in the log and not
 * applied, a new per-user fairness budget holds a flooding uid to it at once, every one of its calls published or
 * counted for its uid in the stats topic, and a file that no longer validates changes nothing.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@Tag("jvm")
class ConfigReloadKernelTest {
    @Test
    void filtersReloadOnSighupAndRestartOnlySettingsAreNamed() throws Exception {
        Kernel.assumeBpf();
        Path dir = Files.createTempDirectory("mqtap-reload-");
        Path config = dir.resolve("config.yml");
        String base = Files.readString(Path.of(ResourceHelpers.resourceFilePath("test-config.yml")));
        try (KafkaBroker broker = KafkaBroker.start()) {
            String registry = SchemaRegistryServer.shared().url();
            // the producer runs as its own JVM: capabilities are dropped after the attach, so the reload below works
            // without them (kernel 6.5+) or with only CAP_BPF (before)
            base = base.replace("url: http://127.0.0.1:1\n", "url: " + registry + "\n")
                    .replace("bootstrapServers: 127.0.0.1:1\n", "bootstrapServers: " + broker.bootstrapServers() + "\n")
                    + "spool:\n  dir: " + dir.resolve("spool") + "\n";
            int admin = Ports.freeLoopbackPort();
            base = base.replace("  adminConnectors:\n    - type: http\n      port: 0\n", "  adminConnectors:\n    - type: http\n      port: " + admin + "\n");
            String excluding = base.replace("capture:\n  attachMode: auto\n",
                    "capture:\n  attachMode: auto\n  filters:\n    excludeComms: [mq_open_helper]\n");
            Files.writeString(config, excluding);
            io.mqtap.producer.cli.RegisterSchemasCommand.register(config); // as a fleet's CI/CD does: the producer only looks them up
            // SIGHUP at its default, as systemd starts the service: a build run under nohup would hand its ignored SIGHUP on
            try (ProducerProcess p = ProducerProcess.builder().launcher(List.of("env", "--default-signal=HUP"))
                    .args("server", config.toString()).start()) {
                p.awaitOutput("Capturing mq_open with the ", Duration.ofSeconds(120));
                assertThat(p.output()).contains("Dropped capabilities after attaching").doesNotContain("SIGHUP is ignored");
                Matcher run = Pattern.compile("as run ([0-9a-f-]{36})").matcher(p.output());
                assertThat(run.find()).isTrue();
                String before = "reload-before-" + UUID.randomUUID().toString().substring(0, 8);
                long excludedPid = MqOpenHelper.run("name=" + before).pid();

                // the filter goes, and a restart-only setting changes too; then SIGHUP
                Files.writeString(config, base.replace("statsInterval: 1s", "statsInterval: 2s"));
                new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
                p.awaitOutput("Reloaded " + config + ": applied capture.filters.excludeComms", Duration.ofSeconds(30));
                p.awaitOutput("changed but only applied by a restart (the running values stay): pipeline.statsInterval", Duration.ofSeconds(5));

                String after = "reload-after-" + UUID.randomUUID().toString().substring(0, 8);
                long includedPid = MqOpenHelper.run("name=" + after).pid();
                List<ConsumerRecord<String, MqOpen>> rs = Records.read(broker.bootstrapServers(), registry, "mq-open-events",
                        got -> Records.events(got, run.group(1)).stream().anyMatch(r -> r.getPid() == includedPid), Duration.ofSeconds(60));
                List<MqOpen> mine = Records.events(rs, run.group(1));
                assertThat(mine).as("the same run: no restart").anyMatch(r -> r.getPid() == includedPid && r.getName().equals(after));
                assertThat(mine).as("excluded before the reload").noneMatch(r -> r.getPid() == excludedPid);

                // a tight budget for one uid nobody else uses (filtered to it, so no other process shares its bucket)
                long uid = 61_000 + ThreadLocalRandom.current().nextInt(2_000);
                Files.writeString(config, base.replace("capture:\n  attachMode: auto\n", "capture:\n  attachMode: auto\n"
                        + "  filters:\n    includeUids: [" + uid + "]\n  fairness:\n    rate: 1\n    burst: 5\n"));
                new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
                p.awaitOutput("applied capture.filters.includeUids, capture.fairness.burst, capture.fairness.rate", Duration.ofSeconds(30));
                MqOpenGenerator.Result flood = MqOpenGenerator.await(generatorAs(uid, "--calls", "200"));
                assertThat(flood.calls()).isEqualTo(200);
                // an entry comes in each record where the uid's counts moved: read on until two records after the first
                List<ConsumerRecord<String, MqOpenStats>> ss = Records.read(broker.bootstrapServers(), registry, "mq-open-stats",
                        got -> settledFor(Records.stats(got, run.group(1)), uid), Duration.ofSeconds(60));
                MqOpenStats s = Records.stats(ss, run.group(1)).stream().filter(x -> counted(x, uid) > 0)
                        .max(java.util.Comparator.comparingLong(x -> counted(x, uid)))
                        .orElseThrow(() -> new AssertionError("no suppressedByUid entry for " + uid));
                UidSuppression u = s.getSuppressedByUid().stream().filter(e -> e.getUid() == uid).findFirst().orElseThrow();
                // losses no uid is known for (skipped program runs: host-wide upper bounds), as of the run's newest record
                List<MqOpenStats> ofRun = Records.stats(ss, run.group(1));
                MqOpenStats newest = ofRun.get(ofRun.size() - 1);
                long unattributed = newest.getLostKernel() - newest.getLostOutput();
                List<ConsumerRecord<String, MqOpen>> fs = Records.read(broker.bootstrapServers(), registry, "mq-open-events",
                        got -> fromUid(got, run.group(1), uid) + u.getSuppressed() + u.getLost() + unattributed >= 200,
                        Duration.ofSeconds(60));
                long published = fromUid(fs, run.group(1), uid);
                String state = "published " + published + ", " + u + " in " + flood.elapsedNs() / 1e9 + " s; newest stats " + newest;
                // ground truth: the generator's own count; every call published, suppressed or lost, at most once, and
                // exactly once unless the kernel skipped program runs (then they cover the rest)
                assertThat(published + u.getSuppressed() + u.getLost()).as(state).isLessThanOrEqualTo(200)
                        .isGreaterThanOrEqualTo(200 - unattributed);
                assertThat(published + u.getLost()).as("the burst, then 1 a second; " + state)
                        .isBetween(5L, 5L + 1 + flood.elapsedNs() / 1_000_000_000L);
                assertThat(s.getSuppressed()).as(state).isGreaterThanOrEqualTo(u.getSuppressed());
                assertThat(u.getFirst()).isBeforeOrEqualTo(u.getLast());
                // and on /prometheus, the uid as a label of its own
                HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + admin + "/prometheus")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(scrape.body()).containsPattern("mqtap_suppressed_total\\{uid=\"" + uid + "\",} " + u.getSuppressed() + "\\.0\n");

                // a file that no longer validates: nothing changes, the key is named
                Files.writeString(config, base.replace("capture:\n  attachMode: auto\n", "capture:\n  attachMode: sideways\n"));
                new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
                p.awaitOutput("failed; the running configuration stays", Duration.ofSeconds(30));
                assertThat(p.output()).contains("attachMode");
                assertThat(p.alive()).isTrue();
                p.terminate();
                assertThat(p.waitFor(Duration.ofSeconds(60))).as(p.output()).isIn(0, 143);
            }
        } finally {
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        }
    }

    private static boolean settledFor(List<MqOpenStats> stats, long uid) {
        for (int i = 0; i < stats.size(); i++) if (counted(stats.get(i), uid) > 0) return stats.size() - i > 2;
        return false;
    }

    private static long counted(MqOpenStats s, long uid) {
        if (s.getSuppressedByUid() == null) return 0;
        return s.getSuppressedByUid().stream().filter(e -> e.getUid() == uid).mapToLong(e -> e.getSuppressed() + e.getLost()).sum();
    }

    private static long fromUid(List<ConsumerRecord<String, MqOpen>> rs, String runId, long uid) {
        return Records.events(rs, runId).stream().filter(r -> r.getUid() == uid).count();
    }

    /** The generator as {@code uid} (setpriv takes a number: no such user needed), from a copy any uid can run. */
    private static Process generatorAs(long uid, String... args) throws java.io.IOException {
        Path dir = Files.createTempDirectory("mqtap-fair-gen-");
        Path copy = dir.resolve("fair-gen");
        dir.toFile().deleteOnExit();
        copy.toFile().deleteOnExit();
        Files.copy(MqGen.binary(MqGen.GENERATOR), copy, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", copy.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
