package io.mqtap.release.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Builds the producer's OCI image tarball from this machine alone (no Docker daemon, no registry): a jlink'ed
 * Java runtime, the Debian libraries it and libmqtap.so load (found with ldd, copied from the host), and the
 * release layout. The image runs as uid 65532; {@code java} carries the file capabilities CAP_BPF and
 * CAP_PERFMON (a non-root process gets them on exec, as Kubernetes gives no ambient capabilities), and an
 * ld.so cache names the runtime's library directories, since a capability-raising exec ignores $ORIGIN.
 * Layers are written by GNU tar (the only common tool that stores security.capability as raw bytes) and
 * assembled into an OCI layout by {@link OciLayout}. Needs root (setcap, chown); skipped otherwise.
 *
 * <p>Usage: {@code ImageBuild <release layout dir> <image tar> <work dir> <version>}
 */
public final class ImageBuild {
    static final int UID = 65532;
    /** What the producer and its libraries use of the JDK (jdeps over the release jars, plus TLS/SASL/DNS providers). */
    static final List<String> MODULES = List.of("java.base", "java.compiler", "java.desktop", "java.instrument", "java.logging",
            "java.management", "java.naming", "java.net.http", "java.scripting", "java.security.jgss", "java.security.sasl",
            "java.sql", "java.xml", "jdk.crypto.ec", "jdk.management", "jdk.naming.dns", "jdk.security.auth", "jdk.security.jgss",
            "jdk.unsupported", "jdk.zipfs");
    // AWT, fonts, images and sound are in java.desktop for java.beans' sake; their native libraries are never loaded
    private static final Pattern UNUSED_NATIVE = Pattern.compile("lib(awt|fontmanager|javajpeg|lcms|splashscreen|jsound|mlib_image).*\\.so");
    private static final Pattern LDD = Pattern.compile("^\\s*(?:\\S+ => )?(/\\S+) \\(0x[0-9a-f]+\\)$");

    private ImageBuild() {}

    public static void main(String[] args) throws Exception {
        Path layout = Path.of(args[0]), out = Path.of(args[1]), work = Path.of(args[2]);
        String version = args[3];
        if (!"root".equals(System.getProperty("user.name"))) {
            System.out.println("[mqtap] image not built: it needs root (file capabilities and ownership in its layers)");
            return;
        }
        Path jre = jlink(work);
        Path root = work.resolve("rootfs");
        run("rm", "-rf", root.toString());
        Files.createDirectories(root);

        copyTree(jre, root.resolve("opt/java"));
        copyTree(layout.resolve("lib"), root.resolve("opt/mqtap/lib"));
        Files.createDirectories(root.resolve("etc/mqtap"));
        Files.copy(layout.resolve("etc/config.yml"), root.resolve("etc/mqtap/config.yml"));
        for (Path lib : hostLibraries(root)) {
            Path dst = root.resolve(lib.toString().substring(1));
            Files.createDirectories(dst.getParent());
            Files.copy(lib, dst, StandardCopyOption.REPLACE_EXISTING); // follows the soname link: the real file, under its soname
        }
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/usr/sbin/nologin\nmqtap:x:" + UID + ":" + UID
                + ":mqtap:/var/lib/mqtap:/usr/sbin/nologin\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\nmqtap:x:" + UID + ":\n");
        Files.writeString(root.resolve("etc/nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
        Files.writeString(root.resolve("etc/ld.so.conf"), "/opt/java/lib\n/opt/java/lib/server\n/lib/x86_64-linux-gnu\n");
        run("ldconfig", "-r", root.toString());
        Files.createDirectories(root.resolve("tmp"));
        run("chmod", "1777", root.resolve("tmp").toString());
        Files.createDirectories(root.resolve("var/lib/mqtap/spool"));
        run("chown", "-R", UID + ":" + UID, root.resolve("var/lib/mqtap").toString());
        run("chmod", "-R", "0750", root.resolve("var/lib/mqtap").toString());
        run("chmod", "-R", "go-w", root.resolve("opt").toString(), root.resolve("etc").toString());
        run("setcap", "cap_bpf,cap_perfmon+ep", root.resolve("opt/java/bin/java").toString());

        List<OciLayout.Layer> layers = List.of(
                layer(root, work, "base", "Debian libraries, passwd/group, ld.so cache", "etc/passwd", "etc/group", "etc/nsswitch.conf",
                        "etc/ld.so.conf", "etc/ld.so.cache", "lib", "lib64", "tmp"),
                layer(root, work, "runtime", "jlink'ed Java " + Runtime.version().feature() + " runtime, java with CAP_BPF+CAP_PERFMON file capabilities", "opt/java"),
                layer(root, work, "app", "mqtap " + version + " release layout and default config", "opt/mqtap", "etc/mqtap", "var"));
        String jar = "/opt/mqtap/lib/mqtap-producer-" + version + ".jar";
        var config = OciLayout.config(layers, UID + ":" + UID,
                List.of("/opt/java/bin/java", "-Dmqtap.native.path=/opt/mqtap/lib/native",
                        "-Dorg.apache.avro.limits.string.maxLength=16777216", "-Dorg.apache.avro.limits.bytes.maxLength=16777216",
                        "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", jar),
                List.of("server", "/etc/mqtap/config.yml"), List.of("JAVA_HOME=/opt/java", "PATH=/opt/java/bin"),
                "/var/lib/mqtap",
                Map.of("org.opencontainers.image.title", "mqtap", "org.opencontainers.image.version", version,
                        "org.opencontainers.image.description", "Every POSIX message queue open on the host, published to Kafka",
                        "io.mqtap.capabilities", "CAP_BPF,CAP_PERFMON"),
                "1970-01-01T00:00:00Z");
        OciLayout.write(out, config, layers, "mqtap:" + version, Map.of("org.opencontainers.image.version", version));
        System.out.println("[mqtap] image " + out + " (" + Files.size(out) / (1 << 20) + " MiB)");
    }

    /** The jlink'ed runtime, reused while the JDK and the module list are the same. */
    private static Path jlink(Path work) throws Exception {
        Path jre = work.resolve("jre");
        Path stamp = work.resolve("jre.stamp");
        String want = System.getProperty("java.home") + " " + Runtime.version() + " " + MODULES;
        if (Files.exists(stamp) && Files.readString(stamp).equals(want) && Files.exists(jre.resolve("bin/java"))) return jre;
        run("rm", "-rf", jre.toString());
        Files.createDirectories(work);
        run(Path.of(System.getProperty("java.home"), "bin", "jlink").toString(), "--add-modules", String.join(",", MODULES),
                "--strip-debug", "--no-header-files", "--no-man-pages", "--compress=2", "--output", jre.toString());
        Files.writeString(stamp, want);
        return jre;
    }

    /** Every host library the runtime's binaries and libmqtap.so need, the dynamic loader included. */
    static TreeSet<Path> hostLibraries(Path root) throws Exception {
        List<String> binaries = new ArrayList<>(List.of(root.resolve("opt/java/bin/java").toString(),
                root.resolve("opt/mqtap/lib/native/libmqtap.so").toString()));
        try (Stream<Path> s = Files.walk(root.resolve("opt/java/lib"))) {
            s.filter(p -> p.toString().endsWith(".so") && !UNUSED_NATIVE.matcher(p.getFileName().toString()).matches())
                    .forEach(p -> binaries.add(p.toString()));
        }
        TreeSet<Path> libs = new TreeSet<>();
        for (String b : binaries) {
            // the runtime's own libraries find each other through the loader's cache in the image; here, through the path
            String out = run(Map.of("LD_LIBRARY_PATH", root.resolve("opt/java/lib") + ":" + root.resolve("opt/java/lib/server")), "ldd", b);
            for (String line : out.split("\n")) {
                if (line.contains("not found")) throw new IllegalStateException(b + ": " + line.strip());
                Matcher m = LDD.matcher(line);
                if (m.matches() && !m.group(1).startsWith(root.toString())) libs.add(Path.of(m.group(1)));
            }
        }
        return libs;
    }

    private static OciLayout.Layer layer(Path root, Path work, String name, String createdBy, String... paths) throws Exception {
        Path tar = work.resolve(name + ".tar");
        List<String> cmd = new ArrayList<>(List.of("tar", "--create", "--file", tar.toString(), "--format=posix",
                "--xattrs", "--xattrs-include=security.capability", "--numeric-owner", "--sort=name", "--mtime=@0",
                "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime", "-C", root.toString()));
        cmd.addAll(List.of(paths));
        run(cmd.toArray(String[]::new));
        return OciLayout.layer(tar, work.resolve(name + ".tar.gz"), createdBy);
    }

    private static void copyTree(Path from, Path to) throws Exception {
        Files.createDirectories(to.getParent());
        run("cp", "-a", "--no-preserve=ownership", from.toString(), to.toString());
    }

    static String run(String... cmd) throws Exception {
        return run(Map.of(), cmd);
    }

    static String run(Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0)
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        return out;
    }

    static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }
}
