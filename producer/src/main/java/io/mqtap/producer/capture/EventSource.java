package io.mqtap.producer.capture;

import io.mqtap.capture.AccessWindow;
import io.mqtap.capture.QueueEvent;
import io.mqtap.capture.ProbeCounters;
import io.mqtap.capture.ProbeException;
import java.util.List;

/** Where captured events come from: the kernel probe in production, a scripted source in unit tests. */
public interface EventSource extends AutoCloseable {
    /** Adds up to {@code max} ready events (every call type) to {@code out}, waiting at most the timeout; returns how many. */
    int drainTo(List<QueueEvent> out, int max, int timeoutMillis) throws ProbeException;

    /**
     * Closes the current send/receive aggregation window and reads it (MqOpenProbe.flushAccess); null when the source
     * does not aggregate. Called from the reader thread only.
     */
    default AccessWindow flushAccess() throws ProbeException {
        return null;
    }

    /** Events lost before they got a sequence number (every way, each counted once), since the start. */
    long lostKernel();

    /** The probe's counters, each way of loss apart; null where there is no probe (scripted sources). */
    default ProbeCounters counters() {
        return null;
    }

    /** Which hook set delivers events ("tracepoint", "kprobe", "fentry"). */
    String probe();

    /** Replaces the in-kernel filters in place (a configuration reload); the source stays attached. */
    default void updateFilters(io.mqtap.capture.ProbeOptions filters) throws ProbeException {
        throw new UnsupportedOperationException("this event source has no kernel filters");
    }

    /** Replaces the per-user fairness budget in place (a configuration reload). */
    default void updateFairness(io.mqtap.capture.ProbeOptions fairness) {
        throw new UnsupportedOperationException("this event source has no fairness budget");
    }

    /** Per uid: what fairness suppressed and the buffer lost, cumulative. */
    default List<io.mqtap.capture.FairAccount> fairAccounts() {
        return List.of();
    }

    /** The kernel features the probe uses and the fallbacks it took (AttachReport.variant()); "" when unknown. */
    default String probeFeatures() {
        return "";
    }

    /**
     * How the capture.pinPath probe took over from the previous run (null: not pinned, or no probe): with
     * {@link io.mqtap.capture.PinReport#gapCovered()} nothing made between the runs was missed.
     */
    default io.mqtap.capture.PinReport pinReport() {
        return null;
    }

    /** Pinned ring: where the last drain stopped, to commit once its records are spooled; -1 when not pinned. */
    default long readPosition() {
        return -1;
    }

    /** Pinned ring: the kernel may reuse it up to this position (its records are in the spool). */
    default void commit(long position) {}

    /** Pinned ring, before the first drain: start past what a killed run had already spooled. */
    default void resume(long position) {}

    /** Pinned ring: its map id (-1 when not pinned). */
    default long ringId() {
        return -1;
    }

    /** True when a stop leaves the programs capturing for the next run (capture.pinPath): the reader stops at once. */
    default boolean pinned() {
        io.mqtap.capture.PinReport r = pinReport();
        return r != null && r.pinned();
    }

    /** Stops new events; events already buffered can still be drained. A pinned source's programs go on (for the next run). */
    void detach();

    @Override
    void close();
}
