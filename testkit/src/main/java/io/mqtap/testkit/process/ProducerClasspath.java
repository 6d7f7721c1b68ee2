package io.mqtap.testkit.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The producer module's runtime classpath for a benchmark that launches it from outside Maven: its classes plus what
 * {@code mvn dependency:build-classpath} lists, cached in bench/target/producer-classpath.txt and listed again when
 * producer/pom.xml is newer. (A test's own classpath already holds the producer: tests use the default.)
 */
public final class ProducerClasspath {
    private ProducerClasspath() {}

    public static String of(Path root) throws IOException, InterruptedException {
        Path classes = root.resolve("producer/target/classes");
        // another build may be recompiling the producer this very moment: give it a minute
        for (int i = 0; i < 60 && !Files.exists(classes.resolve("io/mqtap/producer/MqTapApplication.class")); i++) Thread.sleep(1000);
        if (!Files.exists(classes.resolve("io/mqtap/producer/MqTapApplication.class"))) {
            throw new IllegalStateException("the producer is not built (" + classes + "): run ./mqtap build");
        }
        Path file = root.resolve("bench/target/producer-classpath.txt");
        Path pom = root.resolve("producer/pom.xml");
        if (!Files.exists(file) || Files.getLastModifiedTime(pom).compareTo(Files.getLastModifiedTime(file)) > 0) {
            for (boolean offline : new boolean[] {true, false}) {
                List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-ntp", "-q"));
                if (offline) cmd.add("-o");
                cmd.addAll(List.of("-pl", "producer", "dependency:build-classpath", "-Dmdep.includeScope=runtime",
                        "-Dmdep.outputFile=" + file));
                Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor() == 0 && Files.exists(file)) break;
                if (!offline) throw new IllegalStateException("Failed to list the producer's classpath: " + String.join(" ", cmd) + "\n" + out);
            }
        }
        return classes + ":" + Files.readString(file).trim();
    }

    /**
     * Copies the classpath's own-project entries (mqtap jars and class folders, which other builds on this machine may
     * rewrite while a benchmark runs: a JVM whose jar is replaced under it fails with NoClassDefFoundError) into dir.
     */
    public static String snapshot(String classpath, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> out = new ArrayList<>();
        int i = 0;
        for (String entry : classpath.split(":")) {
            Path p = Path.of(entry);
            boolean ours = entry.contains("/io/mqtap/") || entry.endsWith("/target/classes");
            if (!ours || !Files.exists(p)) {
                out.add(entry);
                continue;
            }
            Path copy = dir.resolve((i++) + "-" + p.getFileName());
            if (Files.isDirectory(p)) {
                try (Stream<Path> files = Files.walk(p)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Path target = copy.resolve(p.relativize(f).toString());
                        if (Files.isDirectory(f)) Files.createDirectories(target);
                        else Files.copy(f, target);
                    }
                }
            } else {
                Files.copy(p, copy);
            }
            out.add(copy.toString());
        }
        return String.join(":", out);
    }
}
