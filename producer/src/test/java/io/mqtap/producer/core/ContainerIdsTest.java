package io.mqtap.producer.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerIdsTest {
    private static final String ID = "4f1e3c5a9b2d7e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071";

    @Test
    void findsTheIdInEachRuntimesCgroupPath() {
        assertThat(ContainerIds.fromCgroupPath("/system.slice/docker-" + ID + ".scope")).isEqualTo(ID);
        assertThat(ContainerIds.fromCgroupPath("/docker/" + ID)).isEqualTo(ID);
        assertThat(ContainerIds.fromCgroupPath("/kubepods.slice/kubepods-burstable.slice/kubepods-pod1.slice/cri-containerd-" + ID + ".scope")).isEqualTo(ID);
        assertThat(ContainerIds.fromCgroupPath("/machine.slice/libpod-" + ID + ".scope/container")).isEqualTo(ID);
        assertThat(ContainerIds.fromCgroupPath("/user.slice/user-0.slice/session-1.scope")).isNull();
    }

    @Test
    void resolvesOncePerCgroupFromProc(@TempDir Path proc) throws Exception {
        Files.createDirectories(proc.resolve("42"));
        Files.writeString(proc.resolve("42/cgroup"), "0::/system.slice/crio-" + ID + ".scope\n");
        ContainerIds ids = new ContainerIds(proc);
        assertThat(ids.resolve(7, 42)).isEqualTo(ID);
        Files.delete(proc.resolve("42/cgroup"));
        assertThat(ids.resolve(7, 42)).isEqualTo(ID);
        assertThat(ids.resolve(8, 99)).isNull();
        assertThat(ids.cached()).isEqualTo(1);
    }
}
