package io.mqtap.producer.capture;

import io.mqtap.capture.AttachMode;
import io.mqtap.capture.AttachReport;
import io.mqtap.capture.AccessWindow;
import io.mqtap.capture.QueueEvent;
import io.mqtap.capture.MqOpenProbe;
import io.mqtap.capture.ProbeCounters;
import io.mqtap.capture.ProbeException;
import io.mqtap.capture.ProbeOptions;
import io.mqtap.capture.RawEvent;
import java.nio.ByteBuffer;
import java.util.List;

/** The real kernel probe, drained a batch per JNI call into one reused direct buffer. */
public final class ProbeEventSource implements EventSource {
    private final MqOpenProbe probe;
    private final AttachReport report;
    private final ByteBuffer buffer;
    /** capture.pinPath: what the attach found and did; null when not pinned */
    private final io.mqtap.capture.PinReport pin;

    private ProbeEventSource(MqOpenProbe probe, AttachReport report, int batchEvents) {
        this.probe = probe;
        this.report = report;
        io.mqtap.capture.PinReport r = probe.pinReport();
        this.pin = r.state() == io.mqtap.capture.PinState.OFF ? null : r;
        // pinned: a drained record stays the kernel's until the spool holds it, so a SIGKILL between loses none
        if (pinned()) probe.manualCommit(true);
        this.buffer = MqOpenProbe.allocateBuffer(batchEvents);
    }

    /** Loads and attaches; on failure nothing is left loaded. */
    public static ProbeEventSource open(ProbeOptions options, AttachMode mode, int batchEvents) throws ProbeException {
        MqOpenProbe probe = MqOpenProbe.open(options);
        try {
            return new ProbeEventSource(probe, probe.attach(mode), batchEvents);
        } catch (ProbeException | RuntimeException e) {
            probe.close();
            throw e;
        }
    }

    public AttachReport report() {
        return report;
    }

    @Override
    public int drainTo(List<QueueEvent> out, int max, int timeoutMillis) throws ProbeException {
        buffer.clear();
        if (max < buffer.capacity() / RawEvent.SIZE) buffer.limit(max * RawEvent.SIZE);
        int n = probe.drain(buffer, timeoutMillis);
        // every call the probe was asked for (ProbeOptions.queueLife): opens, and the rest of a queue's life
        for (int i = 0; i < n; i++) out.add(RawEvent.decodeAny(buffer, i * RawEvent.SIZE));
        return n;
    }

    @Override
    public AccessWindow flushAccess() throws ProbeException {
        return probe.flushAccess();
    }

    @Override
    public long lostKernel() {
        return counters().lostTotal();
    }

    /**
     * The probe's counters, read at most every 200 ms: metrics, health and stats all ask, and each read
     * is a series of bpf() calls, during which the kernel skips BPF programs on that CPU.
     */
    @Override
    public ProbeCounters counters() {
        long now = System.nanoTime();
        Snapshot s = snapshot;
        if (s == null || now - s.atNanos > 200_000_000L) {
            s = new Snapshot(probe.counters(), now);
            snapshot = s;
        }
        return s.counters;
    }

    private record Snapshot(ProbeCounters counters, long atNanos) {}

    private volatile Snapshot snapshot;

    @Override
    public String probe() {
        return report.attached().label();
    }

    @Override
    public void updateFilters(ProbeOptions filters) throws ProbeException {
        probe.updateFilters(filters);
    }

    @Override
    public void updateFairness(ProbeOptions fairness) {
        probe.updateFairness(fairness);
    }

    @Override
    public List<io.mqtap.capture.FairAccount> fairAccounts() {
        return probe.fairAccounts();
    }

    @Override
    public String probeFeatures() {
        return report.variant();
    }

    @Override
    public io.mqtap.capture.PinReport pinReport() {
        return pin;
    }

    @Override
    public long readPosition() {
        return pinned() ? probe.readPosition() : -1;
    }

    @Override
    public void commit(long position) {
        if (pinned()) probe.commit(position);
    }

    @Override
    public void resume(long position) {
        if (pinned()) probe.resume(position);
    }

    @Override
    public long ringId() {
        return pinned() ? probe.ringId() : -1;
    }

    @Override
    public void detach() {
        if (!pinned()) probe.detach(); // pinned: the programs go on capturing into the ring the next run takes over
    }

    @Override
    public void close() {
        if (pinned()) probe.release();
        else probe.close();
        snapshot = null; // the final counters, not a cached read
    }
}
