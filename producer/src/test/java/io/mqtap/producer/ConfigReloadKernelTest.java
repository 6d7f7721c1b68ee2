package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.ResourceHelpers;
import io.mqtap.avro.MqOpen;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.process.ProducerProcess;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SIGHUP on a running producer (real probe, broker, registry): the new filters apply in the kernel without a
 * restart (same run id, probe still attached), a setting that needs a restart is named in the log and not
 * applied, and a file that no longer validates changes nothing.
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
            String excluding = base.replace("capture:\n  attachMode: auto\n",
                    "capture:\n  attachMode: auto\n  filters:\n    excludeComms: [mq_open_helper]\n");
            Files.writeString(config, excluding);
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
}
