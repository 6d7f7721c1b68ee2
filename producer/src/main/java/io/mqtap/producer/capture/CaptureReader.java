package io.mqtap.producer.capture;

import io.mqtap.capture.AccessWindow;
import io.mqtap.capture.ProbeException;
import io.mqtap.capture.QueueEvent;
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
 * after the probe is detached, so every counted call is published.
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
    private volatile boolean stopping;
    private volatile Throwable failure;

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
                boolean detached = stopping;
                int n = source.drainTo(events, batchEvents, drainMillis);
                if (n == 0) {
                    // an empty drain begun after detach means the kernel buffer is empty: nothing more will come
                    if (detached) break;
                    continue;
                }
                List<SpecificRecord> batch = new ArrayList<>(n);
                long seq = nextSequence.getAndAdd(n);
                for (int i = 0; i < n; i++) batch.add(mapper.toRecord(events.get(i), seq + i));
                metrics.captured.mark(n);
                metrics.batchSize.update(n);
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

    /** Detaches the probe; the reader then drains what the kernel still holds, reads the last access window and ends. */
    public void stop() {
        source.detach();
        stopping = true;
    }

    /** The last sequence number assigned, -1 before the first event. */
    public long lastSequence() {
        return nextSequence.get() - 1;
    }

    public Throwable failure() {
        return failure;
    }
}
