package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.ResourceHelpers;
import io.mqtap.avro.MqOpen;
import io.mqtap.testkit.Kernel;
import io.mqtap.capture.Capabilities;
import io.mqtap.testkit.ReadableClasspath;
import io.mqtap.testkit.ThreadCaps;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.process.ProducerProcess;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The producer as an unprivileged user (uid/gid 64123, no supplementary groups) holding only CAP_BPF and
 * CAP_PERFMON (ambient, bounding set cut to those two, no_new_privs), as deploy/mqtap.service runs it.
 *
 * <p>What that needs on this kernel: the BPF load and the perf_event attach work with those two capabilities,
 * but libbpf reads the tracepoint's id from tracefs, whose root is mode 0700 and whose id files are 0440 root:root.
 * So tracefs must be mounted with {@code gid=<the service's group>,mode=0750}; without that the start fails
 * naming tracefs (the first test proves exactly that limit).
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@Tag("jvm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeastPrivilegeTest {
    private static final int UID = 64123;
    /** CAP_PERFMON (38) and CAP_BPF (39), as /proc/<pid>/status shows a capability set. */
    private static final String BPF_AND_PERFMON = "000000c000000000";
    private static final Path TRACEFS = Path.of("/sys/kernel/tracing");

    @TempDir static Path dir;
    private KafkaBroker broker;
    private SchemaRegistryServer registry;
    private Path config;
    private String classpath;

    @BeforeAll
    void start() throws Exception {
        Kernel.assumeBpf();
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) is missing");
        ensureTracefsMounted();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        classpath = ReadableClasspath.ofThisJvm(dir.resolve("cp")); // readable by uid 64123
        broker = KafkaBroker.start();
        registry = SchemaRegistryServer.shared();
        config = dir.resolve("config.yml");
        Files.writeString(config, Files.readString(Path.of(ResourceHelpers.resourceFilePath("test-config.yml")))
                .replace("url: http://127.0.0.1:1\n", "url: " + registry.url() + "\n")
                .replace("bootstrapServers: 127.0.0.1:1\n", "bootstrapServers: " + broker.bootstrapServers() + "\n")
                // only the helper's calls: another process's mq_open storm must not overflow the kernel buffer
                .replace("  attachMode: auto\n", "  attachMode: auto\n  filters:\n    includeComms: [mq_open_helper]\n")
                + "spool:\n  dir: " + dir.resolve("spool") + "\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        io.mqtap.producer.cli.RegisterSchemasCommand.register(config); // as a fleet's CI/CD does: the producer only looks them up
        // the service's own state directory, as systemd's StateDirectory= gives it
        Files.createDirectories(dir.resolve("spool"));
        Files.setAttribute(dir.resolve("spool"), "unix:uid", UID);
        Files.setAttribute(dir.resolve("spool"), "unix:gid", UID);
    }

    @AfterAll
    void stop() {
        if (broker != null) broker.close();
    }

    /** setpriv: the unprivileged ids, only CAP_BPF and CAP_PERFMON, nothing to gain on exec. */
    private static List<String> unprivileged() {
        return List.of("setpriv", "--reuid=" + UID, "--regid=" + UID, "--clear-groups",
                "--bounding-set=-all,+bpf,+perfmon", "--inh-caps=-all,+bpf,+perfmon", "--ambient-caps=+bpf,+perfmon",
                "--no-new-privs", "--");
    }

    @Test
    void withTracefsRootOnlyTheStartFailsNamingTracefs() throws Exception {
        assertThat(mountOptions()).as("tracefs as mounted by default").doesNotContain("gid=" + UID);
        try (ProducerProcess p = producer()) {
            assertThat(p.waitFor(Duration.ofSeconds(120))).as(p.output()).isNotZero();
            // the probe loaded (CAP_BPF and CAP_PERFMON were enough for that); only reaching tracefs failed
            assertThat(p.output()).contains("tracepoint failed").contains("tracefs is mounted but this process may not read it")
                    .contains("gid=<group>,mode=0750");
        }
    }

    @Test
    void withTracefsReadableByItsGroupItCapturesAndPublishesWithOnlyBpfAndPerfmon() throws Exception {
        String before = mountOptions();
        remountTracefs("gid=" + UID + ",mode=0750");
        try (ProducerProcess p = producer()) {
            p.awaitOutput("Capturing mq_open with the tracepoint probe", Duration.ofSeconds(120));
            String status = Files.readString(Path.of("/proc/" + p.pid() + "/status"));
            assertThat(status).containsPattern("Uid:\\s+" + UID + "\\s+" + UID + "\\s+" + UID + "\\s+" + UID)
                    .contains("CapBnd:\t" + BPF_AND_PERFMON).containsPattern("NoNewPrivs:\\s+1");
            // started with CAP_BPF + CAP_PERFMON (the attach above needed them); after it, every thread holds only what
            // reading the probe still needs on this kernel: nothing from 6.5 on, CAP_BPF before; CAP_PERFMON nowhere
            long keep = Capabilities.neededAfterAttach();
            assertThat(p.output()).contains("Dropped capabilities after attaching");
            List<ThreadCaps> threads = ThreadCaps.of(p.pid());
            assertThat(threads).as("threads of the producer").hasSizeGreaterThan(10)
                    .allSatisfy(t -> {
                        assertThat(t.effective()).as(t.toString()).isEqualTo(keep);
                        assertThat(t.permitted()).as(t.toString()).isEqualTo(keep);
                        assertThat(t.inheritable()).as(t.toString()).isZero();
                        assertThat(t.ambient()).as(t.toString()).isZero();
                    });
            String q = "least-priv-" + UUID.randomUUID().toString().substring(0, 8);
            MqOpenHelper.HelperRun run = MqOpenHelper.run("name=" + q + " oflag=RDWR|CREAT mode=0600");
            Matcher m = Pattern.compile("as run ([0-9a-f-]{36})").matcher(p.output());
            assertThat(m.find()).as(p.output()).isTrue();
            List<ConsumerRecord<String, MqOpen>> rs = Records.read(broker.bootstrapServers(), registry.url(), "mq-open-events",
                    got -> Records.events(got, m.group(1)).stream().anyMatch(r -> r.getPid() == run.pid()), Duration.ofSeconds(60));
            assertThat(Records.events(rs, m.group(1)).stream().filter(r -> r.getPid() == run.pid()).map(MqOpen::getName).toList())
                    .as(p.output()).containsExactly(q);
            // threads started since (Jetty's, Kafka's, the stats scheduler's) inherited the lowered sets
            assertThat(ThreadCaps.of(p.pid())).as("threads of the producer, later")
                    .allSatisfy(t -> assertThat(t.effective() | t.permitted()).as(t.toString()).isEqualTo(keep));
            p.terminate();
            assertThat(p.waitFor(Duration.ofSeconds(60))).as(p.output()).isIn(0, 143);
        } finally {
            remountTracefs(restoreOptions(before));
        }
    }

    private ProducerProcess producer() throws IOException {
        return ProducerProcess.builder().launcher(unprivileged()).classpath(classpath).args("server", config.toString()).start();
    }

    private static void ensureTracefsMounted() throws Exception {
        if (!Files.isDirectory(TRACEFS.resolve("events"))) run("mount", "-t", "tracefs", "nodev", TRACEFS.toString());
    }

    /** tracefs's super options from /proc/self/mountinfo (after the " - tracefs nodev " part). */
    private static String mountOptions() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(TRACEFS.toString()) && line.contains(" - tracefs ")) {
                return line.substring(line.indexOf(" - tracefs ")).split(" ")[4];
            }
        }
        throw new IllegalStateException("tracefs is not mounted at " + TRACEFS);
    }

    /** Back to the owner group and mode tracefs had (its defaults, gid 0 and 0700, when none were given). */
    private static String restoreOptions(String before) {
        Matcher gid = Pattern.compile("gid=(\\d+)").matcher(before);
        Matcher mode = Pattern.compile("mode=([0-7]+)").matcher(before);
        return "gid=" + (gid.find() ? gid.group(1) : "0") + ",mode=" + (mode.find() ? mode.group(1) : "0700");
    }

    private static void remountTracefs(String options) throws Exception {
        run("mount", "-o", "remount," + options, TRACEFS.toString());
    }

    private static void run(String... cmd) throws IOException {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
