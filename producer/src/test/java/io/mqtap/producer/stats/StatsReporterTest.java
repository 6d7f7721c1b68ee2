package io.mqtap.producer.stats;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpenStats;
import io.mqtap.capture.ProbeCounters;
import io.mqtap.producer.core.HostIdentity;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stats record's kernel-side fields, each way of loss apart, from the probe's counters. */
class StatsReporterTest {
    private static final StatsReporter REPORTER = new StatsReporter(null, "mq-open-stats",
            new HostIdentity("h", "m", "b", "run-1"), 10_000, () -> null, s -> new byte[0], null, List::of);

    /** Counters with every way of loss set apart, so a sum that leaves one out or counts one twice shows. */
    private static ProbeCounters counters(long missesCalls, long linkMissesCalls, long argsDropped, long accessNoContext) {
        // lostKernel 1, exitWithoutEntry 2, entryDropped 4, exitMissed 8, missesOpenExit 16, missesTaskExit 32
        return new ProbeCounters(1, 0, 100, 99, 0, 0, 0, 2, 4, 0, 8, 0, 0, 0,
                0, 0, 16, 32, 0, -1, -1, -1, -1, missesCalls, linkMissesCalls, accessNoContext, argsDropped, 0, 0);
    }

    private static MqOpenStats record(ProbeCounters k, long unreadable) {
        long lostKernel = (k == null ? 0 : k.lostTotal()) + unreadable;
        return REPORTER.toRecord(new StatsReporter.Counters("tracepoint", "", 100, lostKernel, 0, 100, 0, 0, 99, k, unreadable),
                Instant.EPOCH);
    }

    @Test
    void theQueueLifeHooksMissesHaveFieldsOfTheirOwnAndLostKernelIsTheSumOfItsParts() {
        MqOpenStats s = record(counters(64, 128, 256, 512), 1024);
        assertThat(s.getLostCallMisses()).as("program and link misses of the calls, and the arguments dropped").isEqualTo(64 + 128 + 256);
        assertThat(s.getLostCallArgsDropped()).as("its exact part").isEqualTo(256);
        assertThat(s.getAccessNoContext()).isEqualTo(512);
        assertThat(s.getProgramMisses()).containsEntry("calls", 64L);
        assertThat(s.getLinkMisses()).containsEntry("calls", 128L);
        assertThat(s.getLostKernel()).as("each way once, keys without a caller not a loss").isEqualTo(s.getLostOutput()
                + s.getLostEntryDropped() + s.getLostEntrySkipped() + s.getLostExitMissed() + s.getLostUnexamined()
                + s.getLostCallMisses() + s.getLostUnreadable());
    }

    @Test
    void missCountsTheKernelDoesNotReportAreLeftOutNotSubtracted() {
        // -1: the kernel does not report the calls' link misses (kprobe links before 6.7, other hook sets)
        MqOpenStats s = record(counters(3, -1, 0, 0), 0);
        assertThat(s.getLostCallMisses()).isEqualTo(3);
        assertThat(s.getLinkMisses()).doesNotContainKey("calls");
        assertThat(s.getLostCallArgsDropped()).isZero();
        assertThat(s.getAccessNoContext()).isZero();
    }

    @Test
    void withoutAProbeTheFieldsAreNull() {
        MqOpenStats s = record(null, 0);
        assertThat(s.getLostCallMisses()).isNull();
        assertThat(s.getLostCallArgsDropped()).isNull();
        assertThat(s.getAccessNoContext()).isNull();
    }
}
