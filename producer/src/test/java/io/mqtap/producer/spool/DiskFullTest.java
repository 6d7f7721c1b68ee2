package io.mqtap.producer.spool;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.testkit.Kernel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool's filesystem fills up (a 1 MiB tmpfs, far below spool.maxBytes): ENOSPC is a full spool, the policy applies
 * and counts, the log stays whole, and appends go on once acknowledged segments are deleted. Needs root, for the mount.
 */
class DiskFullTest {
    private static final String SCHEMA = "{\"type\":\"record\",\"name\":\"T\",\"fields\":[]}";

    @TempDir Path dir;
    private Path mount;

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        Kernel.assume(ProcessHandle.current().info().user().orElse("").equals("root"), "not root: mounting a tmpfs needs CAP_SYS_ADMIN");
        mount = dir.resolve("small");
        Files.createDirectories(mount);
        run("mount", "-t", "tmpfs", "-o", "size=1m", "mqtap-disk-full-test", mount.toString());
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) run("umount", mount.toString());
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
    }

    private static List<SpoolRecord> batch(long from, int n) {
        List<SpoolRecord> b = new ArrayList<>();
        for (long s = from; s < from + n; s++) b.add(new SpoolRecord(s, s, new byte[] {'k'}, new byte[1000]));
        return b;
    }

    @Test
    void aFullFilesystemDropsNewestCountedAndRecoversWhenSpaceIsFreed() throws Exception {
        DiskSpool.Options o = new DiskSpool.Options(mount.resolve("spool"), 1L << 30, 64 * 1024, FsyncPolicy.BATCH, 1000, FullPolicy.DROP_NEWEST);
        long offered = 0;
        long appended = 0;
        try (DiskSpool spool = DiskSpool.open(o, "run-a", SCHEMA)) {
            while (spool.dropped() == 0 && offered < 10_000) {
                appended += spool.append(batch(offered, 50), () -> false);
                offered += 50;
            }
            assertThat(spool.fullReason()).contains("No space left on device");
            assertThat(spool.dropped()).isEqualTo(offered - appended).isPositive();
            // everything appended reads back whole: what ENOSPC left of a batch was taken back
            List<SpoolEntry> all = new ArrayList<>();
            for (List<SpoolEntry> got; !(got = spool.read(1000, 50)).isEmpty(); ) all.addAll(got);
            assertThat(all).hasSize((int) appended);
            // Kafka acknowledges: segments go, space comes back, appends go on
            for (SpoolEntry e : all) spool.ack(e.index());
            spool.checkpoint();
            assertThat(spool.append(batch(offered, 50), () -> false)).isEqualTo(50);
        }
        try (DiskSpool again = DiskSpool.open(o, "run-b", SCHEMA)) {
            assertThat(again.recovered().corruptRecords()).isZero();
            assertThat(again.recovered().pending()).isEqualTo(50);
        }
    }
}
