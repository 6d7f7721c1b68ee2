package io.mqtap.producer.capture;

import io.mqtap.capture.AccessWindow;
import io.mqtap.capture.ProbeException;
import io.mqtap.capture.QueueEvent;
import io.mqtap.capture.UnknownCallEvent;
import io.mqtap.producer.core.QueueLifeMapper;
import io.mqtap.producer.metrics.PipelineMetrics;
import io.mqtap.producer.pipeline.Handoff;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader thread: drains the kernel buffer a batch at a time, numbers each event as it leaves the buffer (so
 * every later loss is a visible gap), maps it to its record and hands the batch on. Every access window it also
 * reads the kernel's send/receive counts out as MqAccess records, numbered from the same counter, and once more
 * after the probe is detached, so every counted call is published. A record it cannot turn into a published one (a
 * call type it does not know, data the mapper refuses) is skipped without a sequence and counted ({@link #unreadable()},
 * part of the kernel-side loss): odd kernel data never stops capture.
 */
public final class CaptureReader implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureReader.class);

    private final EventSource source;
    private final QueueLifeMapper mapper;
    private final Handoff handoff;
    private final PipelineMetrics metrics;
    private final int batchEvents;
    private final int drainMillis;
    private final long accessWindowNanos;
    private final AtomicLong nextSequence = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private volatile boolean stopping;
    private volatile Throwable failure;
    /** pinned ring: each batch's (last sequence, end position) until its records are spooled, then committed */
    private final java.util.ArrayDeque<long[]> uncommitted = new java.util.ArrayDeque<>();
    private RingPositions positions;
    private java.util.function.LongSupplier handled = () -> Long.MAX_VALUE;

    public CaptureReader(EventSource source, QueueLifeMapper mapper, Handoff handoff, PipelineMetrics metrics,
                         int batchEvents, int drainMillis, long accessWindowMillis) {
        this.source = source;
        this.mapper = mapper;
        this.handoff = handoff;
        this.metrics = metrics;
        this.batchEvents = Math.min(batchEvents, handoff.capacity());
        this.drainMillis = drainMillis;
        this.accessWindowNanos = accessWindowMillis * 1_000_000L;
    }

    /**
     * capture.pinPath: record where each batch ended in {@code positions} before handing it on, and commit the ring
     * up to a batch once {@code handled} (the spooler's last sequence appended or counted) reaches its last record.
     */
    public CaptureReader commitAfterSpool(RingPositions positions, java.util.function.LongSupplier handled) {
        this.positions = positions;
        this.handled = handled;
        return this;
    }

    /**
     * Commits the ring up to the last batch whose records all reached the spool (or were counted dropped there). The
     * reader thread's, and once more by the stop after the reader and the spooler ended.
     */
    public void commitSpooled() {
        long done = handled.getAsLong();
        long pos = -1;
        while (!uncommitted.isEmpty() && uncommitted.peekFirst()[0] <= done) pos = uncommitted.pollFirst()[1];
        if (pos >= 0) source.commit(pos);
    }

    @Override
    public void run() {
        List<QueueEvent> events = new ArrayList<>(batchEvents);
        long windowDue = System.nanoTime() + accessWindowNanos;
        try {
            while (true) {
                if (System.nanoTime() - windowDue >= 0) {
                    flushAccess();
                    windowDue = System.nanoTime() + accessWindowNanos;
                }
                events.clear();
                if (positions != null) commitSpooled();
                boolean detached = stopping;
                // pinned: what the kernel still holds is the next run's (it takes the ring over), so stop here
                if (detached && source.pinned()) break;
                int n = source.drainTo(events, batchEvents, drainMillis);
                if (n == 0) {
                    // an empty drain begun after detach means the kernel buffer is empty: nothing more will come
                    if (detached) break;
                    continue;
                }
                List<SpecificRecord> batch = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    SpecificRecord r = toRecord(events.get(i));
                    if (r != null) batch.add(r);
                }
                if (positions != null) {
                    // before the hand-off: a batch spooled by the time of a SIGKILL always has its position on file
                    long end = source.readPosition(), last = nextSequence.get() - 1;
                    positions.record(last, end);
                    uncommitted.addLast(new long[] {last, end});
                }
                if (batch.isEmpty()) continue;
                metrics.captured.mark(batch.size());
                metrics.batchSize.update(batch.size());
                handoff.put(batch);
            }
            // the calls counted since the last window, the programs detached: the run's last MqAccess records
            flushAccess();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = e;
        } catch (ProbeException | RuntimeException e) {
            failure = e;
            LOG.error("Capture stopped: {}", e.toString(), e);
        } finally {
            handoff.end();
        }
    }

    /** The event's record with the next sequence, or null (counted, the sequence not taken) when it can't be made. */
    private SpecificRecord toRecord(QueueEvent e) {
        if (e instanceof UnknownCallEvent u) {
            skipped(u, "a call type this producer does not know (api " + u.api() + ")", null);
            return null;
        }
        long seq = nextSequence.get();
        SpecificRecord r;
        try {
            r = mapper.toRecord(e, seq);
        } catch (RuntimeException ex) {
            skipped(e, "data the mapper refused: " + ex, ex);
            return null;
        }
        nextSequence.set(seq + 1); // only this thread numbers records
        return r;
    }

    private void skipped(QueueEvent e, String why, Throwable cause) {
        long n = unreadable.incrementAndGet();
        // the first, then at each power of ten: a probe newer than the producer would otherwise flood the log
        if (Long.toString(n).matches("10*"))
            LOG.warn("Kernel record skipped and counted as lost ({} so far): {}; pid {} comm {} at boot ns {}", n, why,
                    e.caller().pid(), e.caller().comm(), e.bootTimeNs(), cause);
    }

    private void flushAccess() throws ProbeException, InterruptedException {
        AccessWindow w = source.flushAccess();
        if (w == null) return;
        List<SpecificRecord> records = mapper.access(w, source.probe(), nextSequence::getAndIncrement);
        if (records.isEmpty()) return;
        metrics.captured.mark(records.size());
        // a window may hold more records than one hand-off batch may
        for (int from = 0; from < records.size(); from += batchEvents)
            handoff.put(new ArrayList<>(records.subList(from, Math.min(records.size(), from + batchEvents))));
    }

    /**
     * Detaches the probe; the reader then drains what the kernel still holds, reads the last access window and ends.
     * A pinned probe (capture.pinPath) stays attached and the reader ends after its current batch: the next run drains.
     */
    public void stop() {
        source.detach();
        stopping = true;
    }

    /** Records the probe delivered that could not be made into a published record (skipped, no sequence). Any thread. */
    public long unreadable() {
        return unreadable.get();
    }

    /** The last sequence number assigned, -1 before the first event. */
    public long lastSequence() {
        return nextSequence.get() - 1;
    }

    public Throwable failure() {
        return failure;
    }
}
