package io.mqtap.producer.pipeline;

import org.apache.avro.specific.SpecificRecord;
import io.mqtap.producer.metrics.PipelineMetrics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The bounded queue between the capture reader and the Kafka publisher, in batches, bounded in events.
 * When it is full the {@link OverflowPolicy} decides: wait (back-pressure into the kernel buffer) or drop and count.
 */
public final class Handoff {
    /** Compared by identity: a list of its own, never one the JDK shares (List.of() is a singleton). */
    private static final List<SpecificRecord> END = Collections.unmodifiableList(new ArrayList<>(0));

    private final LinkedBlockingQueue<List<SpecificRecord>> batches = new LinkedBlockingQueue<>();
    private final Semaphore room;
    private final int capacity;
    private final OverflowPolicy policy;
    private final PipelineMetrics metrics;

    public Handoff(int capacity, OverflowPolicy policy, PipelineMetrics metrics) {
        this.capacity = capacity;
        this.room = new Semaphore(capacity);
        this.policy = policy;
        this.metrics = metrics;
    }

    /** Hands a batch over; false when it was dropped (and counted) because the queue was full. */
    public boolean put(List<SpecificRecord> batch) throws InterruptedException {
        int n = batch.size();
        if (n == 0) return true;
        if (n > capacity) throw new IllegalArgumentException("batch of " + n + " exceeds hand-off capacity " + capacity);
        if (policy == OverflowPolicy.BLOCK) {
            room.acquire(n);
        } else if (!room.tryAcquire(n)) {
            metrics.dropped.inc(n);
            return false;
        }
        batches.put(batch);
        return true;
    }

    /** The next batch, waiting at most the timeout; null on timeout, an empty list after {@link #end()}. */
    public List<SpecificRecord> take(long timeout, TimeUnit unit) throws InterruptedException {
        List<SpecificRecord> b = batches.poll(timeout, unit);
        if (b != null && b != END) room.release(b.size());
        return b;
    }

    /** Marks the end of input: the publisher stops after the batches before it. */
    public void end() {
        batches.add(END);
    }

    public static boolean isEnd(List<SpecificRecord> batch) {
        return batch == END;
    }

    /** Events waiting in the queue. */
    public long depth() {
        return capacity - room.availablePermits();
    }

    public int capacity() {
        return capacity;
    }
}
