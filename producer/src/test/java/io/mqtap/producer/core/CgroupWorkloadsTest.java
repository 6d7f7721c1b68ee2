package io.mqtap.producer.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lookup by inode and its bounds, on a directory tree shaped like a cgroup hierarchy (the kernel test uses the real one). */
class CgroupWorkloadsTest {
    @TempDir Path root;

    private long mkdir(String path) throws Exception {
        Path d = Files.createDirectories(root.resolve(path.substring(1)));
        Files.writeString(d.resolve("cgroup.procs"), "");
        return (Long) Files.getAttribute(d, "unix:ino");
    }

    @Test
    void resolvesByInodeAndRescansForANewCgroup() throws Exception {
        long host = mkdir("/system.slice/ssh.service");
        CgroupWorkloads w = new CgroupWorkloads(root, Duration.ZERO, 100, 1000);
        assertThat(w.resolve(host)).isEqualTo(Workload.NONE);
        long pod = mkdir("/kubepods/burstable/pod" + WorkloadTest.UID + "/" + WorkloadTest.ID);
        assertThat(w.resolve(pod)).isEqualTo(new Workload(WorkloadTest.ID, WorkloadTest.UID));
        // resolved once: the cgroup's removal does not change what its id means
        Files.delete(root.resolve("kubepods/burstable/pod" + WorkloadTest.UID + "/" + WorkloadTest.ID + "/cgroup.procs"));
        Files.delete(root.resolve("kubepods/burstable/pod" + WorkloadTest.UID + "/" + WorkloadTest.ID));
        assertThat(w.resolve(pod)).isEqualTo(new Workload(WorkloadTest.ID, WorkloadTest.UID));
    }

    @Test
    void aCgroupGoneBeforeItsFirstLookupStaysUnresolved() throws Exception {
        long gone = mkdir("/kubepods/pod" + WorkloadTest.UID);
        Files.delete(root.resolve("kubepods/pod" + WorkloadTest.UID + "/cgroup.procs"));
        Files.delete(root.resolve("kubepods/pod" + WorkloadTest.UID));
        CgroupWorkloads w = new CgroupWorkloads(root, Duration.ZERO, 100, 1000);
        assertThat(w.resolve(gone)).isNull();
        assertThat(new Workloads(w, null).of(gone)).isEqualTo(Workloads.Identity.NONE);
    }

    @Test
    void rescansAreRateLimited() throws Exception {
        CgroupWorkloads w = new CgroupWorkloads(root, Duration.ofHours(1), 100, 1000);
        assertThat(w.resolve(mkdir("/a.slice"))).isEqualTo(Workload.NONE); // first lookup scans
        long later = mkdir("/kubepods/pod" + WorkloadTest.UID);
        assertThat(w.resolve(later)).as("no second scan within the interval").isNull();
    }

    @Test
    void everyMapIsBounded() throws Exception {
        for (int i = 0; i < 50; i++) mkdir("/s" + i + ".slice");
        CgroupWorkloads w = new CgroupWorkloads(root, Duration.ZERO, 10, 20);
        assertThat(w.scan()).hasSize(20);
        CgroupWorkloads big = new CgroupWorkloads(root, Duration.ZERO, 10, 1000);
        for (long ino : big.scan().keySet()) big.resolve(ino);
        assertThat(big.cached()).isLessThanOrEqualTo(10);
    }

    @Test
    void interfaceFilesAreNotTakenForCgroups() throws Exception {
        mkdir("/kubepods.slice");
        Files.writeString(root.resolve("kubepods.slice/memory.max"), "max");
        Files.writeString(root.resolve("kubepods.slice/cgroup.controllers"), "");
        assertThat(new CgroupWorkloads(root, Duration.ZERO, 10, 100).scan().values()).containsExactlyInAnyOrder("/", "/kubepods.slice");
    }
}
