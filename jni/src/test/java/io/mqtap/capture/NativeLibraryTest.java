package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loader's order and its failure message, each in a fresh JVM (a library loads once per JVM). */
class NativeLibraryTest {

    /** Entry point of the child JVM: loads the library and says how it went. */
    public static final class Child {
        public static void main(String[] args) {
            try {
                NativeLibrary.load();
                System.out.println("loaded " + NativeProbe.layout()[0]);
            } catch (UnsatisfiedLinkError e) {
                System.out.println("failed " + e.getMessage());
            }
        }
    }

    private static String runChild(String classpath, String... props) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(props));
        cmd.add("-Djava.library.path=/nonexistent-mqtap-test");
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(Child.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out;
    }

    private static Path classes() throws Exception {
        return Path.of(NativeLibrary.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static Path testClasses() throws Exception {
        return Path.of(Child.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void extractsFromTheJarWhenThePropertyAndLibraryPathFail() throws Exception {
        String out = runChild(classes() + ":" + testClasses(), "-Dmqtap.native.path=/nonexistent/libmqtap.so");
        assertThat(out).isEqualTo("loaded " + RawEvent.SIZE);
    }

    @Test
    void thePropertyWinsWhenItPointsAtTheLibrary() throws Exception {
        Path dir = classes().resolve("META-INF/native").resolve(NativeLibrary.platform());
        String out = runChild(classes() + ":" + testClasses(), "-Dmqtap.native.path=" + dir);
        assertThat(out).isEqualTo("loaded " + RawEvent.SIZE);
    }

    @Test
    void failureNamesEveryPlaceLookedIn(@TempDir Path tmp) throws Exception {
        // the classes without the packaged library
        Path cls = tmp.resolve("classes");
        try (Stream<Path> files = Files.walk(classes().resolve("io"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = cls.resolve(classes().relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(to);
                else Files.copy(f, to);
            }
        }
        String out = runChild(cls + ":" + testClasses(), "-Dmqtap.native.path=/nonexistent/libmqtap.so");
        assertThat(out).startsWith("failed libmqtap.so not found or not loadable; looked for: ")
                .contains("-Dmqtap.native.path=/nonexistent/libmqtap.so")
                .contains("System.loadLibrary(\"mqtap\") in java.library.path=/nonexistent-mqtap-test")
                .contains("classpath resource " + NativeLibrary.resourcePath() + " (not found)");
    }
}
