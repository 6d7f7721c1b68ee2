package io.mqtap.release;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mqtap.capture.Capabilities;
import io.mqtap.testkit.ThreadCaps;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The OCI image tarball read as a runtime reads it (index, manifest, config, layers, every digest checked),
 * then its layers unpacked into a root file system and its entrypoint run there as the image's user, the way
 * a container runtime would start it on a node (chroot, the host's /proc, /sys and /dev, no other privilege).
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@Tag("jvm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OciImageIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dir;
    private Path oci;
    private Path rootfs;
    private JsonNode config;
    private final Map<String, TarArchiveEntry> entries = new HashMap<>();
    private final List<String> mounted = new ArrayList<>();

    @BeforeAll
    void unpack() throws Exception {
        Kernel.assumeBpf(); // root: the image is only built, and can only be unpacked with its capabilities, as root
        Path tar;
        try (var ts = Files.newDirectoryStream(Path.of(System.getProperty("mqtap.release.dir", "target")), "mqtap-*-image.tar")) {
            tar = ts.iterator().next();
        }
        dir = Files.createTempDirectory("mqtap-image-it-");
        oci = Files.createDirectories(dir.resolve("oci"));
        rootfs = Files.createDirectories(dir.resolve("rootfs"));
        run("tar", "-xf", tar.toString(), "-C", oci.toString());
    }

    @AfterAll
    void unmount() throws Exception {
        for (int i = mounted.size() - 1; i >= 0; i--) run("umount", "-l", mounted.get(i));
        if (dir != null && mounted.isEmpty() || dir != null) run("rm", "-rf", "--one-file-system", dir.toString());
    }

    private JsonNode blob(String digest) throws Exception {
        return JSON.readTree(verified(digest).toFile());
    }

    private Path verified(String digest) throws Exception {
        Path p = oci.resolve("blobs/sha256/" + digest.substring("sha256:".length()));
        assertThat(sha256(Files.newInputStream(p))).as(p.toString()).isEqualTo(digest);
        return p;
    }

    @Test
    void configLayersAndEntrypoint() throws Exception {
        assertThat(JSON.readTree(oci.resolve("oci-layout").toFile()).path("imageLayoutVersion").asText()).isEqualTo("1.0.0");
        JsonNode index = JSON.readTree(oci.resolve("index.json").toFile());
        JsonNode desc = index.path("manifests").get(0);
        assertThat(desc.path("annotations").path("org.opencontainers.image.ref.name").asText()).startsWith("mqtap:");
        JsonNode manifest = blob(desc.path("digest").asText());
        assertThat(manifest.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
        config = blob(manifest.path("config").path("digest").asText());

        JsonNode c = config.path("config");
        assertThat(c.path("User").asText()).isEqualTo("65532:65532");
        assertThat(c.path("Entrypoint").get(0).asText()).isEqualTo("/opt/java/bin/java");
        assertThat(c.path("Entrypoint").toString()).contains("-Dmqtap.native.path=/opt/mqtap/lib/native").contains("-jar");
        assertThat(c.path("Cmd").toString()).isEqualTo("[\"server\",\"/etc/mqtap/config.yml\"]");
        assertThat(config.path("os").asText()).isEqualTo("linux");

        JsonNode layers = manifest.path("layers");
        JsonNode diffIds = config.path("rootfs").path("diff_ids");
        assertThat(layers.size()).isEqualTo(diffIds.size()).isEqualTo(3);
        for (int i = 0; i < layers.size(); i++) {
            Path gz = verified(layers.get(i).path("digest").asText());
            assertThat(layers.get(i).path("size").asLong()).isEqualTo(Files.size(gz));
            assertThat(sha256(new GZIPInputStream(Files.newInputStream(gz)))).as("diff id of layer " + i).isEqualTo(diffIds.get(i).asText());
            try (TarArchiveInputStream t = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(gz)))) {
                for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) entries.put(e.getName().replaceFirst("^\\./", ""), e);
            }
            run("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xzf", gz.toString(), "-C", rootfs.toString());
        }
        for (TarArchiveEntry e : entries.values())
            assertThat(e.getMode() & 06000).as("no setuid/setgid file: " + e.getName()).isZero();
        TarArchiveEntry state = entries.get("var/lib/mqtap/");
        assertThat(state.getLongUserId()).isEqualTo(65532);
        assertThat(state.getMode() & 0777).isEqualTo(0750);
        assertThat(entries).containsKeys("opt/mqtap/lib/native/libmqtap.so", "etc/mqtap/config.yml", "opt/java/lib/server/libjvm.so",
                "lib64/ld-linux-x86-64.so.2", "etc/ld.so.cache");
        assertThat(entries.get("opt/java/bin/java").getExtraPaxHeaders()).containsKey("SCHILY.xattr.security.capability");
        // only the two capabilities, and only on java
        assertThat(run("getcap", "-r", rootfs.toString()).out().strip())
                .isEqualTo(rootfs.resolve("opt/java/bin/java") + " cap_perfmon,cap_bpf=ep");

        entrypointRunsAsItsUserWithTwoCapabilitiesAndCaptures(c);
    }

    /** The entrypoint in the unpacked image, as uid 65532, against a test broker: the DaemonSet's container on a node. */
    private void entrypointRunsAsItsUserWithTwoCapabilitiesAndCaptures(JsonNode c) throws Exception {
        for (String m : List.of("proc", "sys", "dev")) {
            Files.createDirectories(rootfs.resolve(m));
            run("mount", "--rbind", "/" + m, rootfs.resolve(m).toString());
            run("mount", "--make-rslave", rootfs.resolve(m).toString());
            mounted.add(rootfs.resolve(m).toString());
        }
        Path tracefs = Path.of("/sys/kernel/tracing");
        if (!Files.isDirectory(tracefs.resolve("events"))) run("mount", "-t", "tracefs", "nodev", tracefs.toString());
        String before = run("findmnt", "-n", "-o", "OPTIONS", tracefs.toString()).out().strip();
        run("mount", "-o", "remount,gid=65532,mode=0750", tracefs.toString()); // the chart mounts it like this for the pod
        // the image's config as a ConfigMap would give it for one test broker (the spool stays the image's own /var/lib/mqtap/spool)
        Path shipped = rootfs.resolve("etc/mqtap/config.yml");
        Files.writeString(shipped, ShippedConfig.forOneBroker(Files.readString(shipped), null));
        List<String> cmd = new ArrayList<>(List.of("chroot", "--userspec=65532:65532", rootfs.toString()));
        c.path("Entrypoint").forEach(a -> cmd.add(a.asText()));
        c.path("Cmd").forEach(a -> cmd.add(a.asText()));
        Process p = null;
        try (KafkaBroker broker = KafkaBroker.start()) {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().clear();
            c.path("Env").forEach(e -> pb.environment().put(e.asText().split("=", 2)[0], e.asText().split("=", 2)[1]));
            pb.environment().put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
            pb.environment().put("SCHEMA_REGISTRY_URL", SchemaRegistryServer.shared().url());
            pb.environment().put("MQTAP_PORT", Integer.toString(Ports.freeLoopbackPort()));
            pb.environment().put("MQTAP_ADMIN_PORT", Integer.toString(Ports.freeLoopbackPort()));
            // the image's own command registers the schemas first (the shipped config has autoRegister off)
            SchemasFirst.register(cmd, pb.environment());
            Path log = dir.resolve("image.log");
            p = pb.redirectOutput(log.toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (!Files.readString(log).contains("Capturing mq_open with the ")) {
                    assertThat(p.isAlive()).as(Files.readString(log)).isTrue();
                    assertThat(System.nanoTime()).as(Files.readString(log)).isLessThan(deadline);
                    Thread.sleep(200);
                }
                long javaPid = p.toHandle().descendants().reduce((a, b) -> b).orElse(p.toHandle()).pid();
                String status = Files.readString(Path.of("/proc/" + javaPid + "/status"));
                assertThat(status).containsPattern("Uid:\\s+65532\\s+65532");
                // the file capabilities gave CAP_BPF + CAP_PERFMON for the attach; after it every thread holds only what reading needs
                long keep = Capabilities.neededAfterAttach();
                assertThat(ThreadCaps.of(javaPid)).allSatisfy(t -> assertThat(t.effective() | t.permitted()).as(t.toString()).isEqualTo(keep));
                String q = "image-" + UUID.randomUUID().toString().substring(0, 8);
                MqOpenHelper.run("name=" + q);
                assertThat(Topics.holds(broker.bootstrapServers(), "mq-open-events", q)).as(Files.readString(log)).isTrue();
                // the stop below is a running service's: a SIGTERM while Jetty still starts skips the pipeline's stop (Jetty
                // stops only started servers), and capture now runs before Jetty has finished starting (attach first)
                while (!Files.readString(log).contains("Started oejs.Server")) {
                    assertThat(p.isAlive()).as(Files.readString(log)).isTrue();
                    assertThat(System.nanoTime()).as(Files.readString(log)).isLessThan(deadline + TimeUnit.SECONDS.toNanos(60));
                    Thread.sleep(200);
                }
            } finally {
                p.destroy();
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                run("mount", "-o", "remount," + tracefsRestore(before), tracefs.toString());
            }
            assertThat(Files.readString(log)).as("exit " + p.exitValue()).containsPattern("Stopped in \\d+ ms: captured [1-9]");
        }
    }

    private static String tracefsRestore(String options) {
        var gid = java.util.regex.Pattern.compile("gid=(\\d+)").matcher(options);
        var mode = java.util.regex.Pattern.compile("mode=([0-7]+)").matcher(options);
        return "gid=" + (gid.find() ? gid.group(1) : "0") + ",mode=" + (mode.find() ? mode.group(1) : "0700");
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (in) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    record Result(int code, String out) {}

    private static Result run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
        return new Result(p.exitValue(), out);
    }
}
