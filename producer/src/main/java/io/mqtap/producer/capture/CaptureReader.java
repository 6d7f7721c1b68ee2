package io.mqtap.producer.capture;

import io.mqtap.avro.MqOpen;
import io.mqtap.capture.MqOpenEvent;
import io.mqtap.capture.ProbeException;
import io.mqtap.producer.core.MqOpenMapper;
import io.mqtap.producer.metrics.PipelineMetrics;
import io.mqtap.producer.pipeline.Handoff;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader thread: drains the kernel buffer a batch at a time, numbers each event as it leaves the
 * buffer (so every later loss is a visible gap), maps it to a record and hands the batch on.
 */
public final class CaptureReader implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureReader.class);

    private final EventSource source;
    private final MqOpenMapper mapper;
    private final Handoff handoff;
    private final PipelineMetrics metrics;
    private final int batchEvents;
    private final int drainMillis;
    private final AtomicLong nextSequence = new AtomicLong();
    private volatile boolean stopping;
    private volatile Throwable failure;

    public CaptureReader(EventSource source, MqOpenMapper mapper, Handoff handoff, PipelineMetrics metrics,
                         int batchEvents, int drainMillis) {
        this.source = source;
        this.mapper = mapper;
        this.handoff = handoff;
        this.metrics = metrics;
        this.batchEvents = Math.min(batchEvents, handoff.capacity());
        this.drainMillis = drainMillis;
    }

    @Override
    public void run() {
        List<MqOpenEvent> events = new ArrayList<>(batchEvents);
        try {
            while (true) {
                events.clear();
                boolean detached = stopping;
                int n = source.drainTo(events, batchEvents, drainMillis);
                if (n == 0) {
                    // an empty drain begun after detach means the kernel buffer is empty: nothing more will come
                    if (detached) break;
                    continue;
                }
                List<MqOpen> batch = new ArrayList<>(n);
                long seq = nextSequence.getAndAdd(n);
                for (int i = 0; i < n; i++) batch.add(mapper.toRecord(events.get(i), seq + i));
                metrics.captured.mark(n);
                metrics.batchSize.update(n);
                handoff.put(batch);
            }
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

    /** Detaches the probe; the reader then drains what the kernel still holds and ends. */
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
