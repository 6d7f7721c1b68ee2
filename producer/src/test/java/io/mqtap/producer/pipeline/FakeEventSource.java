package io.mqtap.producer.pipeline;

import io.mqtap.capture.AttachMode;
import io.mqtap.capture.MqOpenEvent;
import io.mqtap.producer.capture.EventSource;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A scripted event source: tests push events in; it counts kernel loss as told. */
final class FakeEventSource implements EventSource {
    final LinkedBlockingQueue<io.mqtap.capture.QueueEvent> queue = new LinkedBlockingQueue<>();
    volatile long lost;
    volatile boolean detached;
    volatile boolean closed;
    /** When set, the next drain throws it, as a failing kernel read would. */
    volatile RuntimeException failNext;

    static MqOpenEvent event(long i) {
        return new MqOpenEvent(1_000_000_000L + i, 0, 100, 100 + i % 3, 1, 100, 0, 0, "fake", 1, 2, 3,
                ("q" + i).getBytes(), false, 0, false, 0100 | 02, 0600, false, 0, 0, 0, 0, i % 2 == 0 ? 3 : -2,
                AttachMode.TRACEPOINT, 1000, 0);
    }

    void push(long from, long count) {
        for (long i = from; i < from + count; i++) {
            if (!detached) queue.add(event(i));
        }
    }

    @Override
    public int drainTo(List<io.mqtap.capture.QueueEvent> out, int max, int timeoutMillis) {
        RuntimeException fail = failNext;
        if (fail != null) throw fail;
        try {
            io.mqtap.capture.QueueEvent first = queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            if (first == null) return 0;
            out.add(first);
            return 1 + queue.drainTo(out, max - 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    @Override
    public long lostKernel() {
        return lost;
    }

    @Override
    public String probe() {
        return "tracepoint";
    }

    @Override
    public void detach() {
        detached = true;
    }

    @Override
    public void close() {
        closed = true;
    }
}
