package io.mqtap.producer.health;

import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * Events captured and lost in the kernel buffer over the last minute, sampled once a second by the pipeline's
 * scheduler, so the health check reads one shared window: any number of callers, at any rate, see the same answer.
 */
public final class KernelLossWindow {
    /** Captured and lost over {@code seconds} (0 until two samples exist). */
    public record Delta(long captured, long lost, long seconds) {}

    private record Sample(long nanos, long captured, long lost) {}

    private final LongSupplier captured;
    private final LongSupplier lost;
    private final long windowNanos;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();

    public KernelLossWindow(LongSupplier captured, LongSupplier lost, long windowSeconds) {
        this.captured = captured;
        this.lost = lost;
        this.windowNanos = windowSeconds * 1_000_000_000L;
    }

    /** Takes one sample now and forgets those older than the window. */
    public synchronized void sample() {
        long now = System.nanoTime();
        samples.addLast(new Sample(now, captured.getAsLong(), lost.getAsLong()));
        while (samples.size() > 2 && now - samples.peekFirst().nanos() > windowNanos) samples.removeFirst();
    }

    /** From the oldest sample in the window to the newest. */
    public synchronized Delta lastWindow() {
        if (samples.size() < 2) return new Delta(0, 0, 0);
        Sample first = samples.peekFirst();
        Sample last = samples.peekLast();
        return new Delta(last.captured() - first.captured(), last.lost() - first.lost(),
                Math.round((last.nanos() - first.nanos()) / 1e9));
    }
}
