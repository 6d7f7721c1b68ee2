package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.mqgen.MqOpenHelper.HelperRun;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Each hook set this kernel can load, explicit modes, the probe's lifecycle and its error messages. */
@Tag("kernel")
class ProbeModesKernelTest {
    private static final ProbeOptions HELPER_ONLY =
            ProbeOptions.builder().includeComms(Set.of("mq_open_helper")).build();

    @BeforeEach
    void kernel() {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.HELPER), "mq_open_helper is not built");
    }

    /** The kprobe programs pass the verifier here even though kprobes cannot attach (no CONFIG_KPROBES). */
    @Test
    void kprobeSetLoadsAndPassesTheVerifier() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY.toBuilder().attachMode(AttachMode.KPROBE).build())) {
            assertThat(p.loadedMode()).isEqualTo(AttachMode.KPROBE);
            assertThat(p.failures()).isEmpty();
            try {
                AttachReport r = p.attach(AttachMode.KPROBE);
                assertThat(r.attached()).isEqualTo(AttachMode.KPROBE); // a kernel with kprobes
            } catch (ProbeAttachException e) {
                assertThat(e.errno()).isPositive();
                assertThat(e.getMessage()).contains("kprobe failed: attach: bpf_program__attach failed: ")
                        .contains("(E"); // the errno's name, e.g. (ENOENT)
                assertThat(e.report().attached()).isNull();
                assertThat(e.report().failures()).extracting(AttachFailure::mode).containsExactly(AttachMode.KPROBE);
            }
        }
    }

    @Test
    void tracepointSetLoadsAttachesAndDelivers() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY.toBuilder().attachMode(AttachMode.TRACEPOINT).build())) {
            assertThat(p.loadedMode()).isEqualTo(AttachMode.TRACEPOINT);
            AttachReport r = p.attach(AttachMode.TRACEPOINT);
            assertThat(r.describe()).isEqualTo("tracepoint attached");
            HelperRun run = MqOpenHelper.run("name=mqtap-t-modes");
            List<MqOpenEvent> events = Captured.collect(p, e -> e.pid() == run.pid(), 1, 2_000);
            assertThat(events).hasSize(1);
            assertThat(events.get(0).probe()).isEqualTo(AttachMode.TRACEPOINT);
        }
    }

    /** fentry either loads (a kernel without lockdown) or fails with a message naming the set and the reason. */
    @Test
    void fentryExplicitlyLoadsOrSaysWhyNot() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY.toBuilder().attachMode(AttachMode.FENTRY).build())) {
            assertThat(p.loadedMode()).isEqualTo(AttachMode.FENTRY);
        } catch (ProbeLoadException e) {
            assertThat(e.operation()).isEqualTo("load");
            assertThat(e.errno()).isPositive();
            assertThat(e.getMessage()).startsWith("bpf_object__load(mq_open) failed: ").contains("fentry");
            if (e.errno() == 1) assertThat(e.getMessage()).contains("(EPERM)").contains("CAP_BPF");
            assertThat(e.verifierLog()).isNotBlank();
        }
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
        MqOpenProbe p = MqOpenProbe.open(HELPER_ONLY);
        p.attach(AttachMode.AUTO);
        MqOpenHelper.run("name=mqtap-t-close");
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
