package io.mqtap.producer.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Cgroup paths as kubelet (systemd and cgroupfs drivers) and the runtimes lay them out on cgroup v2 nodes. */
class WorkloadTest {
    static final String ID = "4f1e3c5a9b2d7e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071";
    static final String UID = "2c9f1a4e-6b0d-4e8a-9f3c-1d2e3f4a5b6c";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
        systemd, containerd, burstable   | /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2c9f1a4e_6b0d_4e8a_9f3c_1d2e3f4a5b6c.slice/cri-containerd-ID.scope | ID | UID
        systemd, containerd, besteffort  | /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2c9f1a4e_6b0d_4e8a_9f3c_1d2e3f4a5b6c.slice/cri-containerd-ID.scope | ID | UID
        systemd, containerd, guaranteed  | /kubepods.slice/kubepods-pod2c9f1a4e_6b0d_4e8a_9f3c_1d2e3f4a5b6c.slice/cri-containerd-ID.scope | ID | UID
        systemd, CRI-O                   | /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2c9f1a4e_6b0d_4e8a_9f3c_1d2e3f4a5b6c.slice/crio-ID.scope | ID | UID
        systemd, CRI-O conmon            | /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2c9f1a4e_6b0d_4e8a_9f3c_1d2e3f4a5b6c.slice/crio-conmon-ID.scope | ID | UID
        systemd, Docker (cri-dockerd)    | /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2c9f1a4e_6b0d_4e8a_9f3c_1d2e3f4a5b6c.slice/docker-ID.scope | ID | UID
        systemd, kubelet.slice root      | /kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod2c9f1a4e_6b0d_4e8a_9f3c_1d2e3f4a5b6c.slice/cri-containerd-ID.scope | ID | UID
        cgroupfs, containerd, burstable  | /kubepods/burstable/pod2c9f1a4e-6b0d-4e8a-9f3c-1d2e3f4a5b6c/ID | ID | UID
        cgroupfs, containerd, guaranteed | /kubepods/pod2c9f1a4e-6b0d-4e8a-9f3c-1d2e3f4a5b6c/ID | ID | UID
        cgroupfs, CRI-O                  | /kubepods/besteffort/pod2c9f1a4e-6b0d-4e8a-9f3c-1d2e3f4a5b6c/crio-ID | ID | UID
        cgroupfs, Docker                 | /kubepods/burstable/pod2c9f1a4e-6b0d-4e8a-9f3c-1d2e3f4a5b6c/ID | ID | UID
        static pod (config hash uid)     | /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6fc5b6bcfb4f4a5db1dbb9e56d2cf18f.slice/cri-containerd-ID.scope | ID | 6fc5b6bcfb4f4a5db1dbb9e56d2cf18f
        pod cgroup itself (no container) | /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2c9f1a4e_6b0d_4e8a_9f3c_1d2e3f4a5b6c.slice | - | UID
        systemd inside a container       | /kubepods/burstable/pod2c9f1a4e-6b0d-4e8a-9f3c-1d2e3f4a5b6c/ID/init.scope | ID | UID
        plain Docker, systemd            | /system.slice/docker-ID.scope | ID | -
        plain Docker, cgroupfs           | /docker/ID | ID | -
        Podman                           | /machine.slice/libpod-ID.scope/container | ID | -
        a host service                   | /system.slice/ssh.service | - | -
        a login session                  | /user.slice/user-1000.slice/session-3.scope | - | -
        the root cgroup                  | / | - | -
        a pod-like name that is not one  | /system.slice/podman.service | - | -
        """)
    void readsContainerAndPodFromThePath(String shape, String path, String container, String pod) {
        Workload w = Workload.fromCgroupPath(path.replace("ID", ID));
        assertThat(w.containerId()).as(shape).isEqualTo(container == null ? null : container.replace("ID", ID));
        assertThat(w.podUid()).as(shape).isEqualTo(pod == null ? null : pod.replace("UID", UID));
    }
}
