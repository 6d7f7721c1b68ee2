package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.mqgen.MqOpenHelper.HelperRun;
import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * capture.pinPath: a probe released for a restart leaves its programs capturing into the pinned ring, and the
 * next probe of that path takes them over: every call made in between is drained, once, by the next run.
 */
@Tag("kernel")
class PinnedRingKernelTest {
    /** a comm and a pin directory of this run's own: other suites on the host make mq_open calls too */
    private final String comm = "mqpin" + UUID.randomUUID().toString().substring(0, 8);
    private final String dir = "/sys/fs/bpf/mqtap-test-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void kernel() {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.HELPER), "mq_open_helper is not built");
    }

    @AfterEach
    void unpin() {
        // a failed test must not leave programs attached: unlinking the pins detaches them
        File[] runs = new File(dir).listFiles();
        if (runs != null)
            for (File run : runs) {
                File[] pins = run.listFiles();
                if (pins != null) for (File f : pins) f.delete();
                run.delete();
            }
        new File(dir).delete();
    }

    private ProbeOptions.Builder pinned() {
        return ProbeOptions.builder().transport(Transport.RING_BUFFER).ringBufferBytes(4 << 20)
                .includeComms(Set.of(comm)).pinPath(dir);
    }

    /**
     * Before 5.15 tracepoint and kprobe attachments are perf events, not BPF links, and can't be pinned: the probe
     * says so and runs unpinned (the fentry set, where it loads, pins on those kernels too). True in that case.
     */
    private static boolean perfLinksOnly(MqOpenProbe p, PinReport r) throws Exception {
        String[] v = KernelFeatures.detect().release().split("[.-]");
        boolean before515 = Integer.parseInt(v[0]) < 5 || (Integer.parseInt(v[0]) == 5 && Integer.parseInt(v[1]) < 15);
        if (r.state() != PinState.UNSUPPORTED) return false;
        assertThat(before515 && p.attachedMode() != AttachMode.FENTRY).as("unpinned on %s with %s: %s",
                KernelFeatures.detect().release(), p.attachedMode(), r.why()).isTrue();
        assertThat(r.why()).contains("5.15");
        p.release(); // nothing pinned: release is a plain close
        return true;
    }

    private HelperRun calls(String name, int n) throws Exception {
        HelperRun run = MqOpenHelper.run(Duration.ofSeconds(60), List.of("comm=" + comm, "name=" + name + " repeat=" + n + " quiet"));
        assertThat(run.totalCalls()).isEqualTo(n);
        return run;
    }

    private static long of(List<MqOpenEvent> got, HelperRun run) {
        return got.stream().filter(e -> e.pid() == run.pid()).count();
    }

    @Test
    void theNextRunDrainsWhatTheProgramsCaughtWhileNoReaderRan() throws Exception {
        HelperRun drainedByA, leftInRing, inTheGap, afterTakeOver;
        long genA;
        try (MqOpenProbe a = MqOpenProbe.open(pinned().build())) {
            a.attach(AttachMode.AUTO);
            PinReport ra = a.pinReport();
            if (perfLinksOnly(a, ra)) return;
            assertThat(ra.state()).as(ra.why()).isEqualTo(PinState.FRESH);
            genA = ra.generation();
            drainedByA = calls("mqtap-t-pin-a", 1000);
            assertThat(of(Captured.collect(a, e -> e.pid() == drainedByA.pid(), 1000, 10_000), drainedByA)).isEqualTo(1000);
            leftInRing = calls("mqtap-t-pin-ring", 500); // caught, never drained by A
            a.release();
        }
        assertThat(new File(dir, "g" + genA + "/link0")).as("the links stay pinned after the release").exists();
        inTheGap = calls("mqtap-t-pin-gap", 2000); // no reader at all: the pinned programs still capture
        try (MqOpenProbe b = MqOpenProbe.open(pinned().build())) {
            b.attach(AttachMode.AUTO);
            PinReport rb = b.pinReport();
            assertThat(rb.state()).as(rb.why()).isEqualTo(PinState.TAKEN_OVER);
            assertThat(rb.previousGeneration()).isEqualTo(genA);
            assertThat(rb.generation()).as("the same programs go on: no new generation").isEqualTo(genA);
            afterTakeOver = calls("mqtap-t-pin-b", 300);
            List<MqOpenEvent> got = Captured.drainAll(b, e -> true);
            assertThat(of(got, drainedByA)).as("A's drained calls are not read again").isZero();
            assertThat(of(got, leftInRing)).as("calls A caught but did not drain").isEqualTo(500);
            assertThat(of(got, inTheGap)).as("calls made while no mqtap ran").isEqualTo(2000);
            assertThat(of(got, afterTakeOver)).as("calls after the take-over, once each").isEqualTo(300);
            ProbeCounters c = b.counters();
            assertThat(c.lostKernel()).isZero();
            // the programs were never detached or doubled: no call in flight at the take-over looks half-seen
            assertThat(c.exitWithoutEntry()).isZero();
            assertThat(c.exitMissed()).isZero();
            assertThat(c.emitted()).as("counted from the released run's checkpoint (its 500 undrained were emitted in its run): 2,000 + 300")
                    .isEqualTo(2300);
            assertThat(new File(dir, "g" + genA + "/link0")).as("taken over, still pinned").exists();
            b.detach(); // a stop for good: unpinned
        }
        assertThat(new File(dir).list()).as("nothing left pinned after a stop for good").isEmpty();
    }

    /**
     * Manual commits: what a run read but did not commit (not yet in its spool when it died) is read again by the
     * next run, unless the next run resumes past it (a position the killed run had made safe).
     */
    private void readButNotCommitted(boolean resume) throws Exception {
        HelperRun safe, unsafe, later;
        long safePos, readPos, ring;
        try (MqOpenProbe a = MqOpenProbe.open(pinned().build())) {
            a.attach(AttachMode.AUTO);
            if (perfLinksOnly(a, a.pinReport())) return;
            a.manualCommit(true);
            safe = calls("mqtap-t-pin-safe", 1000);
            assertThat(of(Captured.collect(a, e -> e.pid() == safe.pid(), 1000, 10_000), safe)).isEqualTo(1000);
            safePos = a.readPosition();
            unsafe = calls("mqtap-t-pin-unsafe", 300);
            assertThat(of(Captured.collect(a, e -> e.pid() == unsafe.pid(), 300, 10_000), unsafe)).isEqualTo(300);
            readPos = a.readPosition();
            assertThat(readPos).isGreaterThan(safePos);
            a.commit(safePos); // the first 1,000 reached the spool, the 300 not yet
            ring = a.ringId();
            a.release(); // as a SIGKILL would: the 300 were read, never committed
        }
        try (MqOpenProbe b = MqOpenProbe.open(pinned().build())) {
            b.attach(AttachMode.AUTO);
            assertThat(b.pinReport().state()).isEqualTo(PinState.TAKEN_OVER);
            assertThat(b.ringId()).as("the same ring").isEqualTo(ring);
            if (resume) b.resume(readPos);
            later = calls("mqtap-t-pin-later", 200);
            List<MqOpenEvent> got = Captured.drainAll(b, e -> true);
            assertThat(of(got, safe)).as("committed: not read again").isZero();
            assertThat(of(got, unsafe)).as("read, not committed").isEqualTo(resume ? 0 : 300);
            assertThat(of(got, later)).isEqualTo(200);
            b.detach();
        }
    }

    @Test
    void whatARunReadButDidNotCommitIsTheNextRuns() throws Exception {
        readButNotCommitted(false);
    }

    @Test
    void theNextRunResumesPastWhatTheKilledRunHadMadeSafe() throws Exception {
        readButNotCommitted(true);
    }

    @Test
    void aRunOfOtherSettingsReplacesThePinnedOneAndCountsWhatItLeaves() throws Exception {
        HelperRun unread;
        try (MqOpenProbe a = MqOpenProbe.open(pinned().ringBufferBytes(2 << 20).build())) {
            a.attach(AttachMode.AUTO);
            if (perfLinksOnly(a, a.pinReport())) return;
            assertThat(a.pinReport().state()).as(a.pinReport().why()).isEqualTo(PinState.FRESH);
            unread = calls("mqtap-t-pin-old", 700);
            a.release();
        }
        try (MqOpenProbe b = MqOpenProbe.open(pinned().build())) {
            b.attach(AttachMode.AUTO);
            PinReport rb = b.pinReport();
            assertThat(rb.state()).as(rb.why()).isEqualTo(PinState.REPLACED);
            assertThat(rb.discarded()).as("the replaced run's unread events, counted lost").isEqualTo(700);
            assertThat(b.counters().lostKernel()).isEqualTo(700);
            assertThat(of(Captured.drainAll(b, e -> true), unread)).isZero();
            b.detach();
        }
    }

    @Test
    void aPinPathOffTheBpfFilesystemFailsNamingTheKey() throws Exception {
        String notBpf = System.getProperty("java.io.tmpdir") + "/mqtap-pin-" + UUID.randomUUID();
        assertThatThrownBy(() -> {
            try (MqOpenProbe p = MqOpenProbe.open(pinned().pinPath(notBpf).build())) {
                p.attach(AttachMode.AUTO);
            }
        }).isInstanceOf(ProbeException.class).hasMessageContaining("capture.pinPath").hasMessageContaining("not on a BPF filesystem");
        new File(notBpf).delete();
    }
}
