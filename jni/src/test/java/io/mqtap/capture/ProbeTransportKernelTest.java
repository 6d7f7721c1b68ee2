package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.mqgen.MqOpenHelper.HelperRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Both transports, exact loss accounting, bounded latency at low rates, and the in-kernel filters. */
@Tag("kernel")
class ProbeTransportKernelTest {
    private static final Set<String> HELPER = Set.of("mq_open_helper");
    /** a comm of this run's own for the exact-loss tests: other suites on the host run mq_open_helper too */
    private static final String LOSS_COMM = "mqtl" + java.util.UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void kernel() {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.HELPER), "mq_open_helper is not built");
    }

    /** A tiny buffer and a reader that only starts after the calls: every call is received or counted lost. */
    private static void forcedLoss(ProbeOptions options) throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(options)) {
            p.attach(AttachMode.AUTO);
            HelperRun run = MqOpenHelper.run(java.time.Duration.ofSeconds(60),
                    List.of("comm=" + LOSS_COMM, "name=mqtap-t-loss repeat=20000 quiet"));
            assertThat(run.totalCalls()).isEqualTo(20_000);
            List<MqOpenEvent> got = Captured.drainAll(p, e -> e.pid() == run.pid());
            ProbeCounters c = p.counters();
            assertThat(c.lostKernel()).as("lost with a tiny buffer and a paused reader").isPositive();
            // lostTotal adds pairing misses: runs the kernel skips while a bpf() syscall on that CPU disabled BPF
            LossBounds.assertAccounted("a tiny buffer", got.size(), c, 20_000);
            assertThat(c.emitted()).isEqualTo(got.size());
            assertThat(c.received()).isEqualTo(got.size());
            if (options.transport() == Transport.PERF_BUFFER) {
                // perf reports a loss in a LOST record only once a later event fits in that CPU's
                // buffer: make one call on every CPU
                int cpus = Runtime.getRuntime().availableProcessors();
                List<String> steps = new java.util.ArrayList<>(List.of("comm=" + LOSS_COMM));
                for (int cpu = 0; cpu < cpus; cpu++) steps.add("name=mqtap-t-loss cpu=" + cpu);
                HelperRun one = MqOpenHelper.run(java.time.Duration.ofSeconds(30), steps);
                assertThat(Captured.collect(p, e -> e.pid() == one.pid(), cpus, 2_000)).hasSize(cpus);
                Captured.drainAll(p, e -> false);
                assertThat(p.counters().lostRecords()).as("PERF_RECORD_LOST counts seen by the reader")
                        .isEqualTo(c.lostKernel());
            }
        }
    }

    @Test
    void forcedLossIsCountedExactlyPerfBuffer() throws Exception {
        forcedLoss(ProbeOptions.builder().perCpuPages(1).includeComms(Set.of(LOSS_COMM)).build());
    }

    @Test
    void forcedLossIsCountedExactlyPerfBufferWithoutStaging() throws Exception {
        forcedLoss(ProbeOptions.builder().perCpuPages(1).stagingEvents(0).includeComms(Set.of(LOSS_COMM)).build());
    }

    @Test
    void forcedLossIsCountedExactlyRingBuffer() throws Exception {
        forcedLoss(ProbeOptions.builder().transport(Transport.RING_BUFFER).ringBufferBytes(4096)
                .includeComms(Set.of(LOSS_COMM)).build());
    }

    @Test
    void forcedLossIsCountedExactlyRingBufferWithoutStaging() throws Exception {
        forcedLoss(ProbeOptions.builder().transport(Transport.RING_BUFFER).ringBufferBytes(4096).stagingEvents(0)
                .includeComms(Set.of(LOSS_COMM)).build());
    }

    /** With default settings, a Java reader that is not draining at all (as in a GC pause) still gets the burst. */
    @Test
    void stagingKeepsTheKernelBufferReadWhileJavaIsPaused() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().includeComms(HELPER).build())) {
            p.attach(AttachMode.AUTO);
            HelperRun run = MqOpenHelper.run("name=mqtap-t-stage repeat=20000 quiet");
            List<MqOpenEvent> got = Captured.drainAll(p, e -> e.pid() == run.pid());
            ProbeCounters c = p.counters();
            long kernelBufferHolds = (long) Runtime.getRuntime().availableProcessors() * 64 * 4096 / (RawEvent.DATA + 48); // fixed part, name, exe
            LossBounds.assertAccounted("the reader's stage", got.size(), c, 20_000);
            assertThat((long) got.size()).as("more than the kernel buffers alone can hold").isGreaterThan(kernelBufferHolds);
        }
    }

    /** One event, far below the wakeup watermark, still arrives within a few drain intervals. */
    private static void trickleArrives(ProbeOptions options) throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(options)) {
            p.attach(AttachMode.AUTO);
            HelperRun run = MqOpenHelper.run("name=mqtap-t-trickle oflag=RDWR|CREAT mode=0600 attr=3,32");
            long t0 = System.nanoTime();
            List<MqOpenEvent> got = Captured.collect(p, e -> e.pid() == run.pid(), 1, 2_000);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(got).hasSize(1);
            assertThat(ms).as("ms until a lone event was drained").isLessThan(1_000);
            MqOpenEvent e = got.get(0);
            assertThat(e.nameString()).isEqualTo("mqtap-t-trickle");
            assertThat(e.returnValue()).isEqualTo(run.calls().get(0).ret());
            assertThat(e.attrMaxmsg()).isEqualTo(3);
            assertThat(e.attrMsgsize()).isEqualTo(32);
        }
    }

    @Test
    void aLoneEventArrivesPerfBuffer() throws Exception {
        trickleArrives(ProbeOptions.builder().includeComms(HELPER).build());
    }

    @Test
    void aLoneEventArrivesRingBuffer() throws Exception {
        trickleArrives(ProbeOptions.builder().transport(Transport.RING_BUFFER).includeComms(HELPER).build());
    }

    @Test
    void ringBufferCarriesABurstWhileDrained() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().transport(Transport.RING_BUFFER)
                .ringBufferBytes(1 << 20).includeComms(HELPER).build())) {
            p.attach(AttachMode.AUTO);
            Captured.Result<HelperRun> r = Captured.during(p, () -> MqOpenHelper.run("name=mqtap-t-rb repeat=5000 quiet"));
            LossBounds.assertAccounted("the ring buffer", r.of(r.value().pid()).size(), p.counters(), 5000);
        }
    }

    @Test
    void uidFilters() throws Exception {
        String steps = "name=mqtap-t-uid";
        String asNobody = "name=mqtap-t-uid as=nobody";
        try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().includeComms(HELPER).includeUids(Set.of(65534L)).build())) {
            p.attach(AttachMode.AUTO);
            HelperRun run = MqOpenHelper.run(steps, asNobody);
            List<MqOpenEvent> got = Captured.drainAll(p, e -> e.pid() == run.pid() || e.ppid() == run.pid());
            assertThat(got).extracting(MqOpenEvent::uid).containsExactly(65534L);
            assertThat(p.counters().filtered()).isPositive();
        }
        try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().includeComms(HELPER).excludeUids(Set.of(65534L)).build())) {
            p.attach(AttachMode.AUTO);
            HelperRun run = MqOpenHelper.run(steps, asNobody);
            List<MqOpenEvent> got = Captured.drainAll(p, e -> e.pid() == run.pid() || e.ppid() == run.pid());
            assertThat(got).extracting(MqOpenEvent::uid).containsExactly(run.calls().get(0).uid());
        }
    }

    @Test
    void commFilters() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().excludeComms(HELPER).build())) {
            p.attach(AttachMode.AUTO);
            HelperRun run = MqOpenHelper.run("name=mqtap-t-comm repeat=3");
            assertThat(Captured.drainAll(p, e -> e.pid() == run.pid())).isEmpty();
            assertThat(p.counters().filtered()).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void namePrefixFilter() throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().includeComms(HELPER).namePrefix("mqtap-pfx-").build())) {
            p.attach(AttachMode.AUTO);
            HelperRun run = MqOpenHelper.run("name=mqtap-pfx-yes", "name=mqtap-pf", "name=other", "null", "name=mqtap-pfx-");
            List<MqOpenEvent> got = Captured.drainAll(p, e -> e.pid() == run.pid());
            assertThat(got).extracting(MqOpenEvent::nameString).containsExactly("mqtap-pfx-yes", "mqtap-pfx-");
            assertThat(p.counters().exitWithoutEntry()).isZero();
        }
    }

    @Test
    void cgroupFilters() throws Exception {
        long cg = ownCgroupId();
        Kernel.assume(cg > 0, "cgroup v2 is not mounted at /sys/fs/cgroup");
        try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().includeComms(HELPER).includeCgroupIds(Set.of(cg)).build())) {
            p.attach(AttachMode.AUTO);
            HelperRun run = MqOpenHelper.run("name=mqtap-t-cg");
            assertThat(Captured.drainAll(p, e -> e.pid() == run.pid())).extracting(MqOpenEvent::cgroupId).containsExactly(cg);
        }
        try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().includeComms(HELPER).excludeCgroupIds(Set.of(cg)).build())) {
            p.attach(AttachMode.AUTO);
            HelperRun run = MqOpenHelper.run("name=mqtap-t-cg");
            assertThat(Captured.drainAll(p, e -> e.pid() == run.pid())).isEmpty();
        }
    }

    /** The cgroup id the kernel reports is the inode number of the cgroup's directory in cgroup v2. */
    static long ownCgroupId() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            if (line.startsWith("0::")) {
                Path dir = Path.of("/sys/fs/cgroup" + line.substring(3));
                if (Files.isDirectory(dir)) return (Long) Files.getAttribute(dir, "unix:ino");
            }
        }
        return -1;
    }
}
