package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.testkit.ReadableClasspath;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without CAP_BPF and CAP_PERFMON, open() says so and says how to grant them (child JVM run as nobody). */
@Tag("kernel")
@Tag("jvm")
class PermissionTest {

    public static final class Child {
        public static void main(String[] args) {
            try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.defaults())) {
                System.out.println("opened " + p.loadedMode());
            } catch (ProbeException e) {
                System.out.println(e.getClass().getSimpleName() + " " + e.errno() + " " + e.getMessage());
            }
        }
    }

    @TempDir Path dir;

    @Test
    void anUnprivilegedProcessIsToldWhichCapabilitiesToGrantAndHow() throws Exception {
        // not kernel conditions: plain assumptions, never failures in CI
        Assumptions.assumeTrue(Capabilities.holds(Capabilities.CAP_SYS_ADMIN)
                && Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs root and setpriv to start an unprivileged child");
        // the build output copied where nobody can read it, wherever the clone sits
        String cp = ReadableClasspath.copy(List.of(Path.of(MqOpenProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()),
                Path.of(Child.class.getProtectionDomain().getCodeSource().getLocation().toURI())), dir.resolve("cp"));
        Process p = new ProcessBuilder(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.io.tmpdir=/tmp", "-cp", cp,
                Child.class.getName())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        assertThat(out).as("the child ran").doesNotContain("ClassNotFoundException").doesNotContain("AccessDenied");
        assertThat(out).startsWith("ProbePermissionException 1 cannot load the mq_open probe: ")
                .contains("lacks CAP_BPF and CAP_PERFMON")
                .contains("setcap cap_bpf,cap_perfmon+ep")
                .contains("--cap-add BPF --cap-add PERFMON");
    }
}
