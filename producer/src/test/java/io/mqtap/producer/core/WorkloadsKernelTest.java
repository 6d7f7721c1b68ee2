package io.mqtap.producer.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.capture.AttachMode;
import io.mqtap.capture.MqOpenEvent;
import io.mqtap.capture.ProbeOptions;
import io.mqtap.producer.capture.ProbeEventSource;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.MqGen;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real thing: a caller placed in a cgroup laid out as kubelet + containerd lay out a pod's container
 * (systemd driver), its mq_open captured by the probe, and the record's identity derived from the cgroup id
 * the kernel reported, not from /proc.
 */
@Tag("kernel")
class WorkloadsKernelTest {
    private static final String ID = "c0ffee" + "0123456789abcdef".repeat(3) + "0123456789";
    private final String uid = UUID.randomUUID().toString();
    private final List<Path> created = new ArrayList<>();
    private Path root;
    private ProbeEventSource source;

    @BeforeEach
    void probe() throws Exception {
        Kernel.assumeBpf();
        root = CgroupWorkloads.defaultRoot();
        Kernel.assume(Files.exists(root.resolve("cgroup.controllers")), "no cgroup v2 hierarchy at " + root);
        source = ProbeEventSource.open(ProbeOptions.builder().build(), AttachMode.AUTO, 256);
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (source != null) source.close();
        for (int i = created.size() - 1; i >= 0; i--) Files.deleteIfExists(created.get(i));
    }

    private Path cgroup(String... parts) throws Exception {
        Path p = root;
        for (String part : parts) {
            p = p.resolve(part);
            if (!Files.exists(p)) {
                Files.createDirectory(p);
                created.add(p);
            }
        }
        return p;
    }

    /** Runs the mq_open helper inside {@code cgroup}; returns its pid once it has exited. */
    private long openInside(Path cgroup, String name) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "echo $$ > " + cgroup.resolve("cgroup.procs") + " && exec " + MqGen.binary(MqGen.HELPER))
                .redirectErrorStream(true).start();
        p.getOutputStream().write(("name=" + name + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return p.pid();
    }

    private MqOpenEvent eventOf(long pid) throws Exception {
        List<io.mqtap.capture.QueueEvent> got = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            source.drainTo(got, 256, 50);
            for (io.mqtap.capture.QueueEvent e : got) if (e instanceof MqOpenEvent o && o.pid() == pid) return o;
            got.clear();
        }
        throw new AssertionError("no event from pid " + pid);
    }

    @Test
    void aPodsContainerIsNamedFromTheCgroupTheKernelReported() throws Exception {
        Path container = cgroup("kubepods.slice", "kubepods-burstable.slice",
                "kubepods-burstable-pod" + uid.replace('-', '_') + ".slice", "cri-containerd-" + ID + ".scope");
        MqOpenEvent e = eventOf(openInside(container, "k8s-identity"));
        assertThat(e.cgroupId()).isEqualTo((Long) Files.getAttribute(container, "unix:ino"));

        Workloads.PodDirectory pods = podUid -> podUid.equals(uid) ? new Workloads.PodMeta("orders-7d9", "shop", Map.of("app", "orders")) : null;
        Workloads.Identity who = new Workloads(CgroupWorkloads.under(root), pods).of(e.cgroupId());
        assertThat(who).isEqualTo(new Workloads.Identity(ID, uid, "orders-7d9", "shop", Map.of("app", "orders")));
    }

    @Test
    void aCgroupRemovedBeforeTheLookupLeavesOnlyTheCgroupId() throws Exception {
        Path container = cgroup("kubepods", "besteffort", "pod" + uid, ID);
        MqOpenEvent e = eventOf(openInside(container, "k8s-gone"));
        Files.delete(container); // the helper has exited: the cgroup is empty and can go, as a short-lived container's does
        created.remove(container);
        assertThat(new Workloads(CgroupWorkloads.under(root), null).of(e.cgroupId())).isEqualTo(Workloads.Identity.NONE);
    }
}
