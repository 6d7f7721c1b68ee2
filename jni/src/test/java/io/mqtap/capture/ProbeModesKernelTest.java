package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.HelperCall;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.mqgen.MqOpenHelper.HelperRun;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Each hook set as this kernel's features predict, the fallback paths, the probe's lifecycle and its error messages. */
@Tag("kernel")
class ProbeModesKernelTest {
    private static final ProbeOptions HELPER_ONLY =
            ProbeOptions.builder().includeComms(Set.of("mq_open_helper")).build();

    @BeforeEach
    void kernel() {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.HELPER), "mq_open_helper is not built");
    }

    private static final KernelFeatures KERNEL = KernelFeatures.detect();

    /**
     * Each mode, named explicitly, does what this kernel's config, kallsyms and lockdown predict: it
     * attaches and delivers, or fails with the error that names the missing piece. The kprobe programs
     * pass the verifier even where kprobes can't attach.
     */
    @ParameterizedTest
    @EnumSource(value = AttachMode.class, names = {"FENTRY", "KPROBE", "TRACEPOINT"})
    void eachModeDoesWhatTheKernelPredicts(AttachMode mode) throws Exception {
        Kernel.assume(KERNEL.configKnown(), "no kernel config (/proc/config.gz, /boot/config-" + KERNEL.release()
                + ") to predict the outcome from");
        KernelFeatures.Expectation expected = KERNEL.expect(mode);
        String kernel = KERNEL + ": " + mode.label() + (expected.attaches() ? " should attach" : " can't: " + expected.reason());
        if (expected.attaches()) {
            try (MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY.toBuilder().attachMode(mode).build())) {
                assertThat(p.loadedMode()).as(kernel).isEqualTo(mode);
                AttachReport r = p.attach(mode);
                assertThat(r.attached()).as(kernel).isEqualTo(mode);
                assertThat(r.describe()).startsWith(mode.label() + " attached");
                HelperRun run = MqOpenHelper.run("name=mqtap-t-modes");
                List<MqOpenEvent> events = Captured.collect(p, e -> e.pid() == run.pid(), 1, 5_000);
                assertThat(events).as(kernel).hasSize(1);
                assertThat(events.get(0).probe()).isEqualTo(mode);
            }
            return;
        }
        if (mode == AttachMode.FENTRY && !KERNEL.lockdown().equals("none")) {
            // lockdown refuses the tracing programs at load
            assertThatThrownBy(() -> MqOpenProbe.open(HELPER_ONLY.toBuilder().attachMode(mode).build()))
                    .as(kernel).isInstanceOfSatisfying(ProbeLoadException.class, e -> {
                        assertThat(e.operation()).isEqualTo("load");
                        assertThat(e.errno()).isEqualTo(1);
                        assertThat(e.getMessage()).startsWith("bpf_object__load(mq_open) failed: ")
                                .contains("(EPERM)").contains("fentry").contains("lockdown");
                        assertThat(e.verifierLog()).isNotBlank();
                    });
            return;
        }
        if (mode == AttachMode.KPROBE) {
            // the programs load and pass the verifier; attaching needs kprobes
            try (MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY.toBuilder().attachMode(mode).build())) {
                assertThat(p.loadedMode()).isEqualTo(AttachMode.KPROBE);
                assertThat(p.failures()).isEmpty();
                assertThatThrownBy(() -> p.attach(AttachMode.KPROBE)).as(kernel)
                        .isInstanceOfSatisfying(ProbeAttachException.class, e -> {
                            assertThat(e.errno()).isPositive();
                            assertThat(e.getMessage()).contains("kprobe failed: attach: bpf_program__attach failed: ")
                                    .contains("(E"); // the errno's name, e.g. (ENOENT)
                            if (expected.reason().startsWith("CONFIG_KPROBES"))
                                assertThat(e.getMessage()).contains("kprobes are not available on this kernel");
                            assertThat(e.report().attached()).isNull();
                            assertThat(e.report().failures()).extracting(AttachFailure::mode)
                                    .containsExactly(AttachMode.KPROBE);
                        });
            }
            return;
        }
        // any other missing piece: load or attach fails, naming the mode
        assertThatThrownBy(() -> {
            try (MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY.toBuilder().attachMode(mode).build())) {
                p.attach(mode);
            }
        }).as(kernel).isInstanceOf(ProbeException.class).hasMessageContaining(mode.label());
    }

    /**
     * The pre-5.11 paths (pairing in an LRU hash by tid; the task read with CO-RE probe reads), forced
     * on this kernel: every field the full path records comes out the same.
     */
    @ParameterizedTest
    @MethodSource("fallbacks")
    void theFallbackPathsRecordEveryField(Set<ProbeFeature> without) throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY, without)) {
            AttachReport r = p.attach(AttachMode.AUTO);
            assertThat(p.features()).doesNotContainAnyElementsOf(without)
                    .containsAll(KERNEL.expectedProbeFeatures(p.loadedMode()).stream()
                            .filter(f -> !without.contains(f) && !((f == ProbeFeature.TASK_STORAGE
                                    || f == ProbeFeature.RDONLY_CAST) && without.contains(ProbeFeature.TASK_BTF)))
                            .toList());
            assertThat(r.features()).isEqualTo(p.features());
            assertThat(r.describe()).contains("(fallback)");
            HelperRun run = MqOpenHelper.run("name=mqtap-t-fallback oflag=RDWR|CREAT mode=0600 attr=4,64 threads=3 repeat=4",
                    "name=mqtap-t-fallback oflag=RDWR as=nobody");
            List<MqOpenEvent> events = Captured.collect(p, e -> e.pid() == run.pid() || e.ppid() == run.pid(),
                    run.calls().size(), 5_000);
            assertThat(events).hasSize(run.calls().size()).hasSize(13);
            long mntNs = nsInode("mnt"), pidNs = nsInode("pid");
            for (MqOpenEvent e : events) {
                HelperCall c = run.calls().stream().filter(x -> x.tid() == e.tid() && x.ret() == e.returnValue())
                        .findFirst().orElseThrow(() -> new AssertionError("no helper call for " + e));
                assertThat(e.pid()).isEqualTo(c.pid());
                assertThat(e.uid()).isEqualTo(c.uid());
                assertThat(e.comm()).isEqualTo(c.comm());
                assertThat(e.oflag()).isEqualTo(c.oflag());
                assertThat(e.ppid()).as("ppid").isEqualTo(c.uid() == 0 ? ProcessHandle.current().pid() : run.pid());
                assertThat(e.nsPid()).as("nsPid (host pid namespace)").isEqualTo(c.pid());
                assertThat(e.mntNs()).as("mount namespace").isEqualTo(mntNs);
                assertThat(e.pidNs()).as("pid namespace").isEqualTo(pidNs);
                assertThat(e.cgroupId()).isPositive();
            }
            assertThat(events.stream().filter(e -> e.hasAttr() && e.attrMaxmsg() == 4)).hasSize(12);
            ProbeCounters c = p.counters();
            assertThat(c.entryDropped()).isZero();
            assertThat(c.exitWithoutEntry()).isZero();
        }
    }

    /**
     * A 32-bit (i386) program's calls take the kernel's compat path: the do_mq_open hooks see them, and in
     * tracepoint mode the raw_syscalls hooks catch them (sys_enter_mq_open does not fire for them).
     */
    @Test
    void thirtyTwoBitCallersAreRecordedInEveryModeThatAttaches() throws Exception {
        Kernel.assume(KERNEL.configKnown(), "no kernel config to predict the modes from");
        Kernel.assume(KERNEL.ia32Emulation(), KERNEL + ": " + KERNEL.ia32Reason());
        Kernel.assume(MqGen.available(MqGen.COMPAT32), "mq_open32 is not built (needs gcc-multilib)");
        List<AttachMode> tested = new java.util.ArrayList<>();
        for (AttachMode mode : List.of(AttachMode.FENTRY, AttachMode.KPROBE, AttachMode.TRACEPOINT)) {
            if (!KERNEL.expect(mode).attaches()) continue;
            try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().attachMode(mode)
                    .includeComms(Set.of(MqGen.COMPAT32)).build())) {
                AttachReport r = p.attach(mode);
                if (mode == AttachMode.TRACEPOINT) assertThat(r.features()).contains(ProbeFeature.COMPAT32_HOOKS);
                Process gen = new ProcessBuilder(MqGen.binary(MqGen.COMPAT32).toString(), "20")
                        .redirectErrorStream(true).start();
                String out = new String(gen.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertThat(gen.waitFor()).as("mq_open32 exit; output: " + out).isZero();
                assertThat(out).startsWith("calls=20 pid=" + gen.pid() + " errors=20");
                List<MqOpenEvent> events = Captured.collect(p, e -> e.pid() == gen.pid(), 20, 5_000);
                assertThat(events).as(mode.label() + ": one event per 32-bit call").hasSize(20);
                for (MqOpenEvent e : events) {
                    assertThat(e.nameString()).isEqualTo("mqtap-compat32-" + gen.pid());
                    assertThat(e.errno()).isEqualTo(2); // ENOENT
                    assertThat(e.oflag()).isZero();
                    assertThat(e.hasAttr()).isFalse();
                    assertThat(e.probe()).isEqualTo(mode);
                }
                tested.add(mode);
            }
        }
        assertThat(tested).as(KERNEL + ": modes that should attach").isNotEmpty();
        if (tested.contains(AttachMode.TRACEPOINT)) withoutTheCompatHooksThirtyTwoBitCallersAreNotSeen();
    }

    /** capture.compat32Hooks false: the tracepoint set leaves the raw_syscalls programs out, and says so. */
    private static void withoutTheCompatHooksThirtyTwoBitCallersAreNotSeen() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().attachMode(AttachMode.TRACEPOINT)
                .compat32Hooks(false).includeComms(Set.of(MqGen.COMPAT32)).build())) {
            AttachReport r = p.attach(AttachMode.TRACEPOINT);
            assertThat(r.features()).as("features without the compat hooks").doesNotContain(ProbeFeature.COMPAT32_HOOKS);
            Process gen = new ProcessBuilder(MqGen.binary(MqGen.COMPAT32).toString(), "20").redirectErrorStream(true).start();
            gen.getInputStream().readAllBytes();
            assertThat(gen.waitFor()).isZero();
            // the kernel counts an event at its output, so after the caller's exit the count is final
            assertThat(p.counters().emitted()).as("32-bit calls unseen without the hooks").isZero();
        }
    }

    static List<Set<ProbeFeature>> fallbacks() {
        return List.of(Set.of(ProbeFeature.TASK_STORAGE), Set.of(ProbeFeature.RDONLY_CAST),
                Set.of(ProbeFeature.TASK_STORAGE, ProbeFeature.TASK_BTF));
    }

    /** The inode of one of this process's namespaces: /proc/self/ns/mnt -> "mnt:[4026531841]". */
    private static long nsInode(String ns) throws java.io.IOException {
        String link = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/ns/" + ns)).toString();
        return Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
    }

    @Test
    void detachStopsNewEventsButBufferedOnesStillDrain() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY)) {
            p.attach(AttachMode.AUTO);
            HelperRun before = MqOpenHelper.run("name=mqtap-t-det repeat=5");
            p.detach();
            assertThat(p.attachedMode()).isNull();
            HelperRun after = MqOpenHelper.run("name=mqtap-t-det repeat=5");
            List<MqOpenEvent> events = Captured.drainAll(p, e -> true);
            assertThat(events).extracting(MqOpenEvent::pid).containsOnly(before.pid()).hasSize(5);
            assertThat(events).noneMatch(e -> e.pid() == after.pid());
            p.detach(); // idempotent
        }
    }

    @Test
    void closeIsIdempotentAndLeavesTheLastCounters() throws Exception {
        // a comm of its own: other suites on the host run mq_open_helper too, and received counts all it keeps
        String comm = "mqtc" + java.util.UUID.randomUUID().toString().substring(0, 8);
        MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().includeComms(Set.of(comm)).build());
        p.attach(AttachMode.AUTO);
        MqOpenHelper.run("comm=" + comm, "name=mqtap-t-close");
        Captured.collect(p, e -> true, 1, 2_000);
        p.close();
        p.close();
        assertThat(p.counters().received()).isEqualTo(1);
        assertThat(p.drain(MqOpenProbe.allocateBuffer(1), 10)).isZero();
        assertThatThrownBy(() -> p.attach(AttachMode.AUTO)).isInstanceOf(IllegalStateException.class);
        p.detach(); // no-op after close
    }

    @Test
    void closeFromAnotherThreadEndsAWaitingDrain() throws Exception {
        MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY);
        p.attach(AttachMode.AUTO);
        Thread closer = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            p.close();
        });
        closer.start();
        long t0 = System.nanoTime();
        assertThat(p.drain(MqOpenProbe.allocateBuffer(8), 10_000)).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms the drain waited").isLessThan(2_000);
        closer.join();
    }

    @Test
    void drainChecksItsArguments() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY)) {
            assertThatThrownBy(() -> p.drain(ByteBuffer.allocate(4096), 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("direct ByteBuffer");
            assertThatThrownBy(() -> p.drain(ByteBuffer.allocateDirect(RawEvent.SIZE - 1), 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RawEvent.SIZE");
            assertThatThrownBy(() -> p.drain(MqOpenProbe.allocateBuffer(1), -1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeoutMillis");
        }
    }

    @Test
    void aSecondAttachWithAnotherModeIsRefused() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY)) {
            AttachReport r = p.attach(AttachMode.AUTO);
            assertThat(p.attach(AttachMode.AUTO).attached()).isEqualTo(r.attached());
            AttachMode other = r.attached() == AttachMode.KPROBE ? AttachMode.TRACEPOINT : AttachMode.KPROBE;
            assertThatThrownBy(() -> p.attach(other)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already attached");
        }
    }
}
