package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reconciles what a test received with the calls it made and the probe's loss counters. The kernel's program and
 * kprobe miss counts are host-wide upper bounds (on preemptible 7.x kernels, and in emulated VMs, a tracing program
 * is skipped now and then while another run of it holds its CPU), so the check is exact only where they stayed 0.
 */
final class LossBounds {
    private LossBounds() {}

    /** Every call received or counted lost: received + lostAtLeast <= calls <= received + lostTotal. */
    static void assertAccounted(String what, long received, ProbeCounters before, ProbeCounters after, long calls) {
        long atLeast = after.lostAtLeast() - before.lostAtLeast(), atMost = after.lostTotal() - before.lostTotal();
        String counters = what + ": received " + received + " of " + calls + " calls, " + after;
        assertThat(received + atLeast).as("counted call by call, never more than the calls; " + counters)
                .isLessThanOrEqualTo(calls);
        assertThat(received + atMost).as("received + lost covers every call; " + counters).isGreaterThanOrEqualTo(calls);
    }

    static void assertAccounted(String what, long received, ProbeCounters counters, long calls) {
        assertAccounted(what, received, ProbeCounters.ZERO, counters, calls);
    }

    /** Nothing of the probe's own calls lost (the host-wide miss counts may have moved for others' calls). */
    static void assertNoneLost(ProbeCounters c) {
        assertThat(c.lostAtLeast()).as("losses counted call by call, " + c).isZero();
    }
}
