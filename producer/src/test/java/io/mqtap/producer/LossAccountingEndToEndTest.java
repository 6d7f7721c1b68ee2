package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way the kernel side can lose a call, driven non-zero at once (a one-page ring buffer under a burst,
 * and simulated storage failures and skipped programs: mq_open's entry and exit, the open-exit hook of opens
 * through the mqueue filesystem, the thread-exit hook), seen in the stats topic, and reconciled against ground
 * truth: the helper's own count of calls against the records Kafka holds.
 */
class LossAccountingEndToEndTest {

    @Test
    void everyLossCounterReachesTheStatsTopicAndAccountsForEveryCall(@TempDir Path tmp) throws Exception {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.HELPER), "mq_open_helper is not built");
        try (KafkaBroker broker = KafkaBroker.start()) {
            SchemaRegistryServer registry = SchemaRegistryServer.shared();
            // only this helper's calls, so the accounting is exact on a shared host (other suites run
            // mq_open_helper too): it takes a comm of its own before its calls
            String comm = "mqtl" + UUID.randomUUID().toString().substring(0, 8);
            Path config = Files.createTempFile("mqtap-loss-", ".yml");
            config.toFile().deleteOnExit();
            Files.writeString(config, Files.readString(Path.of(ResourceHelpers.resourceFilePath("test-config.yml")))
                    .replace("  attachMode: auto\n", "  attachMode: auto\n  filters:\n    includeComms: [" + comm + "]\n"));
            DropwizardAppExtension<MqTapConfiguration> app = new DropwizardAppExtension<>(TestMqTapApplication.class,
                    config.toString(),
                    ConfigOverride.config("kafka.bootstrapServers", broker.bootstrapServers()),
                    ConfigOverride.config("schemaRegistry.url", registry.url()),
                    // a spool of its own: the default, /var/lib/mqtap/spool, written as root, is the host's (the installed
                    // service, as user mqtap, could then not open it)
                    ConfigOverride.config("spool.dir", tmp.resolve("spool").toString()),
                    // one page: a burst overflows it while the reader pauses to gather a batch
                    ConfigOverride.config("capture.transport", "ring-buffer"),
                    ConfigOverride.config("capture.ringBufferBytes", "4096"),
                    ConfigOverride.config("capture.faultInjection.entryDropOneIn", "5"),
                    ConfigOverride.config("capture.faultInjection.entrySkipOneIn", "7"),
                    ConfigOverride.config("capture.faultInjection.exitSkipOneIn", "6"),
                    ConfigOverride.config("capture.faultInjection.openExitSkipOneIn", "4"),
                    ConfigOverride.config("capture.faultInjection.taskExitSkipOneIn", "2"),
                    // every call of the burst reaches the buffer: per-user fairness would keep most of this one uid's out
                    ConfigOverride.config("capture.fairness.enabled", "false"));
            app.before();
            try {
                String runId = ((MqTapApplication) app.getApplication()).pipeline().host().runId();
                String q = "loss-" + UUID.randomUUID().toString().substring(0, 8);
                Path mnt = Files.createDirectories(tmp.resolve("mqueue"));
                MqOpenHelper.HelperRun run = MqOpenHelper.run(Duration.ofSeconds(120), List.of("comm=" + comm,
                        "name=" + q + " threads=4 repeat=5000 quiet",
                        // a thread per call: where its one exit is skipped the thread exit finds it (or is skipped too)
                        "name=" + q + " threads=256 repeat=1 quiet",
                        // opens through the mqueue filesystem, on a mount in a namespace that goes with the helper
                        "unshare=ipc", "mountmq=" + mnt,
                        "via=open name=" + mnt.resolve(q) + " oflag=RDWR|CREAT mode=0600 threads=4 repeat=1000 quiet"));
                long calls = run.totalCalls();
                assertThat(calls).isEqualTo(20_000 + 256 + 4_000);

                // the stats record once everything the kernel side delivered is published
                List<ConsumerRecord<String, MqOpenStats>> rs = Records.read(broker.bootstrapServers(), registry.url(),
                        "mq-open-stats", got -> Records.stats(got, runId).stream().anyMatch(s -> settled(s, calls)),
                        Duration.ofSeconds(60));
                MqOpenStats s = Records.stats(rs, runId).stream().filter(x -> settled(x, calls)).findFirst()
                        .orElseThrow(() -> new AssertionError("no stats record accounts for " + calls + " calls: "
                                + Records.stats(rs, runId)));
                assertThat(s.getLostOutput()).as("buffer full").isPositive();
                assertThat(s.getLostEntryDropped()).as("entry not stored").isPositive();
                assertThat(s.getLostEntrySkipped()).as("entry skipped").isPositive();
                assertThat(s.getLostExitMissed()).as("exit skipped").isPositive();
                assertThat(s.getLostUnexamined()).as("open-exit and thread-exit skipped").isPositive();
                assertThat(s.getLostKernel()).as("the total is the sum of its parts").isEqualTo(s.getLostOutput()
                        + s.getLostEntryDropped() + s.getLostEntrySkipped() + s.getLostExitMissed() + s.getLostUnexamined()
                        + s.getLostCallMisses() + s.getLostUnreadable());
                assertThat(s.getAccessNoContext()).as("reported, not a loss").isNotNull();
                assertThat(s.getFiltered()).isNotNull();
                assertThat(s.getLostUnreadable()).as("every record the probe delivered was read").isZero();
                assertThat(s.getProgramMisses()).as("reported by this kernel").containsKeys("enter", "exit", "openExit", "taskExit");
                assertThat(s.getProgramMisses().get("openExit")).as("opens through the filesystem skipped").isPositive();
                assertThat(s.getProgramMisses().get("taskExit")).as("thread exits skipped").isPositive();
                assertThat(s.getLostUnexamined()).as("both in lostUnexamined")
                        .isGreaterThanOrEqualTo(s.getProgramMisses().get("openExit") + s.getProgramMisses().get("taskExit"));

                // ground truth: what Kafka holds of the helper's calls plus what was counted lost is every call
                List<ConsumerRecord<String, MqOpen>> events = Records.read(broker.bootstrapServers(), registry.url(),
                        "mq-open-events", got -> mine(got, runId, run.pid()) >= s.getCaptured(), Duration.ofSeconds(60));
                assertThat(mine(events, runId, run.pid()) + s.getLostKernel()).as("records + lost = calls, " + s)
                        .isEqualTo(calls);
            } finally {
                app.after();
            }
        }
    }

    /** Everything the kernel side saw of the calls is accounted and published. */
    private static boolean settled(MqOpenStats s, long calls) {
        return s.getCaptured() + s.getLostKernel() == calls && s.getPublished() == s.getCaptured() && s.getInFlight() == 0;
    }

    private static long mine(List<ConsumerRecord<String, MqOpen>> rs, String runId, long pid) {
        return Records.events(rs, runId).stream().filter(r -> r.getPid() == pid).count();
    }
}
