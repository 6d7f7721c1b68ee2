package io.mqtap.release;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.capture.Capabilities;
import io.mqtap.testkit.ThreadCaps;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Debian package for real: installed on this machine with apt-get (dependencies resolved by apt), checked,
 * its service started as the installed unit would start it (no systemd as PID 1 here: setpriv with the unit's
 * user, capabilities and command line, read from the installed unit file) against a test broker and registry,
 * and purged again; the mqtap user, which purge keeps by Debian policy, is removed too when the test made it.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@Tag("jvm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DebianPackageIT {
    private static final Path UNIT = Path.of("/lib/systemd/system/mqtap.service");
    private static final Path DROP_IN = Path.of("/etc/systemd/system/sys-kernel-tracing.mount.d/mqtap.conf");
    private static final Path TRACEFS = Path.of("/sys/kernel/tracing");

    private Path deb;
    private boolean userExisted;
    private boolean installed;

    @BeforeAll
    void install() throws Exception {
        Kernel.assumeBpf();
        assertThat(run("dpkg-query", "-W", "-f=${Status}", "mqtap").out()).as("mqtap must not be installed before the test")
                .doesNotContain("install ok installed");
        try (var debs = Files.newDirectoryStream(Path.of(System.getProperty("mqtap.release.dir", "target")), "mqtap_*_amd64.deb")) {
            deb = debs.iterator().next().toAbsolutePath();
        }
        // the package owns its state directory: one left by something else (a producer run as root with the default
        // spool.dir) keeps root's files in the spool, and the installed service, as user mqtap, can't open them
        assertThat(Path.of("/var/lib/mqtap")).as("/var/lib/mqtap exists before the package is installed (left by a producer run "
                + "with the default spool.dir?); the installed service could not write its spool").doesNotExist();
        userExisted = run("getent", "passwd", "mqtap").code() == 0;
        // no package may start a service while it installs (Debian's convention: policy-rc.d exits 101)
        Path policy = Path.of("/usr/sbin/policy-rc.d");
        boolean addedPolicy = !Files.exists(policy);
        if (addedPolicy) {
            Files.writeString(policy, "#!/bin/sh\nexit 101\n");
            policy.toFile().setExecutable(true);
        }
        try {
            Result r = run(Map.of("DEBIAN_FRONTEND", "noninteractive"), "apt-get", "install", "-y", "--no-install-recommends",
                    "-o", "DPkg::Lock::Timeout=300", deb.toString());
            installed = true;
            assertThat(r.code()).as(r.out()).isZero();
        } finally {
            if (addedPolicy) Files.deleteIfExists(policy);
        }
    }

    @AfterAll
    void purge() throws Exception {
        if (!installed) return;
        Result r = run(Map.of("DEBIAN_FRONTEND", "noninteractive"), "apt-get", "purge", "-y", "-o", "DPkg::Lock::Timeout=300", "mqtap");
        assertThat(r.code()).as(r.out()).isZero();
        if (!userExisted) run("userdel", "mqtap");
        run("groupdel", "mqtap"); // fails harmlessly when userdel already removed it
        assertThat(Path.of("/usr/lib/mqtap")).doesNotExist();
        assertThat(Path.of("/etc/mqtap")).doesNotExist();
        assertThat(Path.of("/var/lib/mqtap")).doesNotExist();
        assertThat(DROP_IN).doesNotExist();
        assertThat(run("dpkg-query", "-W", "-f=${Status}", "mqtap").out()).doesNotContain("installed");
    }

    @Test
    void installsTheLayoutTheUserAndAConffile() throws Exception {
        assertThat(Path.of("/usr/bin/mqtap")).isSymbolicLink();
        assertThat(Files.readSymbolicLink(Path.of("/usr/bin/mqtap"))).isEqualTo(Path.of("/usr/lib/mqtap/bin/mqtap"));
        assertThat(Path.of("/usr/lib/mqtap/lib/native/libmqtap.so")).isRegularFile();
        assertThat(run("dpkg-query", "-W", "-f=${Conffiles}", "mqtap").out()).contains("/etc/mqtap/config.yml");
        assertThat(run("stat", "-c", "%U:%G %a", "/var/lib/mqtap").out().strip()).isEqualTo("mqtap:mqtap 750");
        String gid = run("getent", "group", "mqtap").out().split(":")[2];
        assertThat(Files.readString(DROP_IN)).contains("gid=" + gid + ",mode=0750");
        assertThat(run("systemd-analyze", "verify", UNIT.toString())).satisfies(r -> assertThat(r.code()).as(r.out()).isZero());
    }

    @Test
    void checkPassesAsAnUnprivilegedUser() throws Exception {
        Result r = run(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "mqtap", "check", "/etc/mqtap/config.yml"),
                Map.of());
        assertThat(r.code()).as(r.out()).isZero();
        assertThat(r.out()).contains("Configuration is OK");
    }

    @Test
    void theServiceStartedAsItsUnitWouldCapturesAndPublishes() throws Exception {
        Unit unit = Unit.read(UNIT);
        if (!Files.isDirectory(TRACEFS.resolve("events"))) run("mount", "-t", "tracefs", "nodev", TRACEFS.toString());
        String tracefsBefore = tracefsOptions();
        try (KafkaBroker broker = KafkaBroker.start()) {
            SchemaRegistryServer registry = SchemaRegistryServer.shared();
            // the drop-in's options, as systemd would mount tracefs with them
            Matcher opts = Pattern.compile("Options=(\\S+)").matcher(Files.readString(DROP_IN));
            assertThat(opts.find()).isTrue();
            run("mount", "-o", "remount," + opts.group(1), TRACEFS.toString());
            // the conffile edited as an operator would for a single-node cluster (the shipped floor refuses one broker)
            Path config = Path.of("/etc/mqtap/config.yml");
            Files.writeString(config, ShippedConfig.forOneBroker(Files.readString(config), null));

            List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + unit.one("User"), "--regid=" + unit.one("Group"),
                    "--init-groups", "--bounding-set=-all," + unit.capsFor("CapabilityBoundingSet"),
                    "--inh-caps=-all," + unit.capsFor("AmbientCapabilities"), "--ambient-caps=" + unit.capsFor("AmbientCapabilities")));
            if (unit.one("NoNewPrivileges").equals("yes")) cmd.add("--no-new-privs");
            cmd.add("--");
            cmd.addAll(List.of(unit.one("ExecStart").split(" ")));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putAll(unit.environment());
            // what /etc/mqtap/mqtap.env (EnvironmentFile=) would hold on a real host
            pb.environment().put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
            pb.environment().put("SCHEMA_REGISTRY_URL", registry.url());
            pb.environment().put("MQTAP_PORT", Integer.toString(Ports.freeLoopbackPort()));
            pb.environment().put("MQTAP_ADMIN_PORT", Integer.toString(Ports.freeLoopbackPort()));
            // the installed command registers the schemas first (the shipped config has autoRegister off)
            SchemasFirst.register(List.of(unit.one("ExecStart").split(" ")), pb.environment());
            Path log = Files.createTempFile("mqtap-deb-", ".log");
            Process service = pb.redirectOutput(log.toFile()).start();
            try {
                awaitLine(log, "Capturing mq_open with the ", service, 120);
                long javaPid = service.toHandle().descendants()
                        .filter(h -> h.info().command().orElse("").endsWith("java")).findFirst().orElse(service.toHandle()).pid();
                String status = Files.readString(Path.of("/proc/" + javaPid + "/status"));
                assertThat(status).contains("CapBnd:\t000000c000000000").containsPattern("NoNewPrivs:\\s+1");
                // it attached with CAP_BPF + CAP_PERFMON, then lowered every thread to what reading the probe still needs
                long keep = Capabilities.neededAfterAttach();
                assertThat(ThreadCaps.of(javaPid)).allSatisfy(t -> assertThat(t.effective() | t.permitted() | t.ambient()).as(t.toString()).isEqualTo(keep));
                String q = "deb-" + UUID.randomUUID().toString().substring(0, 8);
                MqOpenHelper.run("name=" + q);
                assertThat(Topics.holds(broker.bootstrapServers(), "mq-open-events", q)).as(Files.readString(log)).isTrue();
                // the stop below is a running service's: a SIGTERM while Jetty still starts skips the pipeline's stop
                awaitLine(log, "Started oejs.Server", service, 60);
            } finally {
                service.destroy(); // SIGTERM to the JVM (the launcher execs it): detach, drain, flush
                assertThat(service.waitFor(60, TimeUnit.SECONDS)).isTrue();
                run("mount", "-o", "remount," + tracefsBefore, TRACEFS.toString());
            }
            assertThat(Files.readString(log)).contains("Stopped in");
        }
    }

    private static void awaitLine(Path log, String line, Process p, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String s = Files.readString(log);
            if (s.contains(line)) return;
            if (!p.isAlive()) throw new AssertionError("the service exited " + p.exitValue() + ":\n" + s);
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + line + "' within " + seconds + " s:\n" + Files.readString(log));
    }

    /** tracefs's owner group and mode now, to put back afterwards (its defaults: gid 0, 0700). */
    private static String tracefsOptions() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = l.split(" ");
            if (f.length > 4 && f[4].equals(TRACEFS.toString()) && l.contains(" - tracefs ")) {
                String super_ = l.substring(l.indexOf(" - tracefs ")).split(" ")[4];
                Matcher gid = Pattern.compile("gid=(\\d+)").matcher(super_);
                Matcher mode = Pattern.compile("mode=([0-7]+)").matcher(super_);
                return "gid=" + (gid.find() ? gid.group(1) : "0") + ",mode=" + (mode.find() ? mode.group(1) : "0700");
            }
        }
        throw new IllegalStateException("tracefs is not mounted at " + TRACEFS);
    }

    record Result(int code, String out) {}

    private static Result run(String... cmd) throws Exception {
        return run(List.of(cmd), Map.of());
    }

    private static Result run(Map<String, String> env, String... cmd) throws Exception {
        return run(List.of(cmd), env);
    }

    private static Result run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + " did not finish");
        }
        return new Result(p.exitValue(), out);
    }
}
