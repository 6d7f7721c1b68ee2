package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.ThreadCaps;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link Capabilities#dropAllThreads} in a JVM of its own (it can't be undone, and the test JVM needs its
 * capabilities): root with every capability, 30 threads parked in sleeps, waits and blocking reads, the drop, then
 * threads made afterwards by the lowered threads. Every thread's effective, permitted, inheritable and ambient sets
 * are empty, and so is the bounding set (root holds CAP_SETPCAP), as /proc/self/task/&#42;/status shows.
 */
@Tag("kernel")
@Tag("jvm")
class DropCapabilitiesKernelTest {
    @Test
    void everyThreadOfTheJvmLosesEveryCapability() throws Exception {
        Kernel.assumeBpf(); // root, as the probe tests run
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m"));
        if (System.getProperty(NativeLibrary.PATH_PROPERTY) != null) cmd.add("-D" + NativeLibrary.PATH_PROPERTY + "=" + System.getProperty(NativeLibrary.PATH_PROPERTY));
        cmd.addAll(List.of("-cp", classpath(), Child.class.getName()));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try {
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            child.destroyForcibly();
        }
        assertThat(child.exitValue()).as(out).isZero();
        List<String> lines = out.lines().filter(l -> l.matches("\\d+ \\(.*")).toList(); // one line per thread: "<tid> (<name>): ..."
        assertThat(lines).as(out).hasSizeGreaterThan(40); // the JVM's own threads, the 30 parked ones, the 5 made after
        assertThat(lines).as(out).allMatch(l -> l.matches(".*CapEff 0{16} CapPrm 0{16} CapInh 0{16} CapAmb 0{16} CapBnd 0{16}"));
        assertThat(out).containsPattern("before: CapEff 0000[0-9a-f]*[1-9a-f][0-9a-f]*\n") // root's set (this VM's lacks CAP_SYS_RESOURCE)
                .containsPattern("lowered [1-9][0-9] threads");
    }

    /** Where the child's classes are: this test's, the library's and testkit's (java.class.path may be a launcher's jar). */
    private static String classpath() throws Exception {
        List<String> parts = new ArrayList<>();
        for (Class<?> c : List.of(DropCapabilitiesKernelTest.class, Capabilities.class, ThreadCaps.class)) {
            parts.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(java.io.File.pathSeparator, parts);
    }

    /** The child: starts threads that sit in different kinds of waits, drops, starts more, prints every thread's sets. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            long pid = ProcessHandle.current().pid();
            System.out.println("before: CapEff " + String.format("%016x", Capabilities.effective().orElse(-1)));
            CountDownLatch stop = new CountDownLatch(1);
            List<Thread> parked = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                int kind = i % 3;
                Thread t = new Thread(() -> {
                    try {
                        if (kind == 0) Thread.sleep(600_000);
                        else if (kind == 1) stop.await();
                        else new java.io.PipedInputStream(new java.io.PipedOutputStream()).read();
                    } catch (Exception e) {
                        // interrupted at the end
                    }
                }, "parked-" + i);
                t.setDaemon(true);
                t.start();
                parked.add(t);
            }
            int n = Capabilities.dropAllThreads(0);
            System.out.println("lowered " + n + " threads");
            List<Thread> later = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Thread t = new Thread(() -> {
                    try {
                        stop.await();
                    } catch (InterruptedException e) {
                        // the end
                    }
                }, "later-" + i);
                t.setDaemon(true);
                t.start();
                later.add(t);
            }
            for (ThreadCaps t : ThreadCaps.of(pid)) System.out.println(t);
            stop.countDown();
            System.exit(0);
        }
    }
}
