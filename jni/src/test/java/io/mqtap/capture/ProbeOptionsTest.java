package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Bad options fail at build() with a message naming the option; no kernel needed. */
class ProbeOptionsTest {

    @Test
    void defaults() {
        ProbeOptions o = ProbeOptions.defaults();
        assertThat(o.transport()).isEqualTo(Transport.PERF_BUFFER);
        assertThat(o.perCpuPages()).isEqualTo(64);
        assertThat(o.wakeupBytes()).isEqualTo(65536);
        assertThat(o.drainIntervalMillis()).isEqualTo(10);
        assertThat(o.attachMode()).isEqualTo(AttachMode.AUTO);
        assertThat(o.stagingEvents()).isEqualTo(32768);
        assertThat(o.effectiveWakeupBytes()).isEqualTo(65536);
        assertThat(o.toBuilder().build()).isEqualTo(o);
        // opens only unless asked: then send and receive are aggregated by default
        assertThat(o.queueLife()).isFalse();
        assertThat(o.accessMode()).isEqualTo(AccessMode.OFF);
        ProbeOptions life = o.toBuilder().queueLife(true).build();
        assertThat(life.accessMode()).isEqualTo(AccessMode.AGGREGATE);
        assertThat(life).isNotEqualTo(o);
        assertThat(life.toBuilder().build()).isEqualTo(life);
    }

    @Test
    void wakeupIsCappedAtHalfABuffer() {
        assertThat(ProbeOptions.builder().perCpuPages(4).build().effectiveWakeupBytes()).isEqualTo(8192);
    }

    @Test
    void badValuesNameTheOption() {
        assertThatThrownBy(() -> ProbeOptions.builder().perCpuPages(3).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("perCpuPages:");
        assertThatThrownBy(() -> ProbeOptions.builder().perCpuPages(0).build()).hasMessageStartingWith("perCpuPages:");
        assertThatThrownBy(() -> ProbeOptions.builder().ringBufferBytes(5000).build()).hasMessageStartingWith("ringBufferBytes:");
        assertThatThrownBy(() -> ProbeOptions.builder().ringBufferBytes(1024).build()).hasMessageStartingWith("ringBufferBytes:");
        assertThatThrownBy(() -> ProbeOptions.builder().wakeupBytes(-1).build()).hasMessageStartingWith("wakeupBytes:");
        assertThatThrownBy(() -> ProbeOptions.builder().drainIntervalMillis(0).build()).hasMessageStartingWith("drainIntervalMillis:");
        assertThatThrownBy(() -> ProbeOptions.builder().stagingEvents(10).build()).hasMessageStartingWith("stagingEvents:");
        assertThatThrownBy(() -> ProbeOptions.builder().pinPath("/sys/fs/bpf/x").build()).hasMessageStartingWith("pinPath:")
                .hasMessageContaining("ring buffer");
        assertThatThrownBy(() -> ProbeOptions.builder().transport(Transport.RING_BUFFER).pinPath("relative").build())
                .hasMessageStartingWith("pinPath:");
        assertThat(ProbeOptions.builder().transport(Transport.RING_BUFFER).pinPath("/sys/fs/bpf/x").build().pinPath())
                .isEqualTo("/sys/fs/bpf/x");
        assertThatThrownBy(() -> ProbeOptions.builder().includeUids(Set.of(-1L)).build()).hasMessageStartingWith("includeUids:");
        assertThatThrownBy(() -> ProbeOptions.builder().excludeUids(Set.of(1L << 32)).build()).hasMessageStartingWith("excludeUids:");
        assertThatThrownBy(() -> ProbeOptions.builder().includeComms(Set.of("a-name-of-16-byt")).build()).hasMessageStartingWith("includeComms:");
        assertThatThrownBy(() -> ProbeOptions.builder().excludeComms(Set.of("")).build()).hasMessageStartingWith("excludeComms:");
        assertThatThrownBy(() -> ProbeOptions.builder().includeCgroupIds(Set.of(-5L)).build()).hasMessageStartingWith("includeCgroupIds:");
        assertThatThrownBy(() -> ProbeOptions.builder().namePrefix("x".repeat(256)).build()).hasMessageStartingWith("namePrefix:");
        assertThatThrownBy(() -> ProbeOptions.builder().namePrefix("a\0b").build()).hasMessageStartingWith("namePrefix:");
        assertThatThrownBy(() -> ProbeOptions.builder().includeUids(null)).hasMessageStartingWith("includeUids:");
    }

    @Test
    void compatHooksAndKretprobeInstancesSurviveToBuilder() {
        ProbeOptions o = ProbeOptions.builder().compat32Hooks(false).kretprobeInstancesForTests(2).build();
        assertThat(ProbeOptions.defaults().compat32Hooks()).as("on by default").isTrue();
        assertThat(ProbeOptions.defaults().kretprobeInstances()).isEqualTo(ProbeOptions.MAX_KRETPROBE_INSTANCES);
        assertThat(o.toBuilder().build()).isEqualTo(o).isNotEqualTo(ProbeOptions.defaults());
        assertThat(o.toBuilder().build().compat32Hooks()).isFalse();
        assertThat(o.toBuilder().build().kretprobeInstances()).isEqualTo(2);
        assertThatThrownBy(() -> ProbeOptions.builder().kretprobeInstancesForTests(0)).hasMessageStartingWith("kretprobeInstances:");
        assertThatThrownBy(() -> ProbeOptions.builder().kretprobeInstancesForTests(4097)).hasMessageStartingWith("kretprobeInstances:");
    }

    @Test
    void attachModeParsesLowerCaseNames() {
        assertThat(AttachMode.parse("auto")).isEqualTo(AttachMode.AUTO);
        assertThat(AttachMode.parse("fentry")).isEqualTo(AttachMode.FENTRY);
        assertThat(AttachMode.parse("kprobe")).isEqualTo(AttachMode.KPROBE);
        assertThat(AttachMode.parse(" Tracepoint ")).isEqualTo(AttachMode.TRACEPOINT);
        assertThatThrownBy(() -> AttachMode.parse("uprobe"))
                .hasMessage("attach mode: unknown 'uprobe'; expected one of auto, fentry, kprobe, tracepoint");
    }

    @Test
    void reportDescribesEachFailure() {
        AttachReport r = new AttachReport(AttachMode.TRACEPOINT, java.util.List.of(
                new AttachFailure(AttachMode.FENTRY, 1, "load: denied"),
                new AttachFailure(AttachMode.KPROBE, 2, "attach: missing")));
        assertThat(r.describe()).isEqualTo("tracepoint attached; fentry failed: load: denied; kprobe failed: attach: missing");
    }

    @Test
    void allocateBufferIsDirectAndNative() {
        ByteBuffer b = MqOpenProbe.allocateBuffer(3);
        assertThat(b.isDirect()).isTrue();
        assertThat(b.capacity()).isEqualTo(3 * RawEvent.SIZE);
        assertThatThrownBy(() -> MqOpenProbe.allocateBuffer(0)).hasMessageStartingWith("events:");
    }

    @Test
    void nativeLibraryResourcePath() {
        assertThat(NativeLibrary.resourcePath()).startsWith("META-INF/native/linux-").endsWith("/libmqtap.so");
        assertThat(NativeProbe.class.getClassLoader().getResource(NativeLibrary.resourcePath()))
                .as("the library is packaged at " + NativeLibrary.resourcePath()).isNotNull();
    }
}
