package io.mqtap.capture;

import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;

/** Test support: drains a probe until enough matching opens arrived, decoding each (events of other calls are skipped). */
final class Captured {
    private Captured() {}

    /** Drains until {@code want} events match or {@code timeoutMillis} passes; returns the matching ones by time. */
    static List<MqOpenEvent> collect(MqOpenProbe probe, Predicate<MqOpenEvent> match, int want, long timeoutMillis)
            throws ProbeException {
        ByteBuffer buf = MqOpenProbe.allocateBuffer(512);
        List<MqOpenEvent> got = new ArrayList<>();
        try {
            // one reader: the drains stay on this thread; each waits up to 50 ms itself
            await().atMost(Duration.ofMillis(timeoutMillis)).pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(() -> {
                        int n = probe.drain(buf, 50);
                        for (int i = 0; i < n; i++) {
                            if (RawEvent.decodeAny(buf, i * RawEvent.SIZE) instanceof MqOpenEvent e && match.test(e)) got.add(e);
                        }
                        return got.size() >= want;
                    });
        } catch (ConditionTimeoutException e) {
            // what arrived is returned: the callers' assertions say what is missing
        }
        got.sort(Comparator.comparingLong(MqOpenEvent::bootTimeNs));
        return got;
    }

    /**
     * Runs {@code action} on another thread while draining, so a burst larger than the buffer is
     * not lost, then drains what is left; returns the action's result and every event seen.
     */
    static <T> Result<T> during(MqOpenProbe probe, java.util.concurrent.Callable<T> action) throws Exception {
        java.util.concurrent.FutureTask<T> task = new java.util.concurrent.FutureTask<>(action);
        Thread t = new Thread(task, "captured-action");
        t.start();
        ByteBuffer buf = MqOpenProbe.allocateBuffer(512);
        List<MqOpenEvent> got = new ArrayList<>();
        while (!task.isDone()) {
            int n = probe.drain(buf, 20);
            for (int i = 0; i < n; i++)
                if (RawEvent.decodeAny(buf, i * RawEvent.SIZE) instanceof MqOpenEvent e) got.add(e);
        }
        T value = task.get();
        got.addAll(drainAll(probe, e -> true));
        got.sort(Comparator.comparingLong(MqOpenEvent::bootTimeNs));
        return new Result<>(value, got);
    }

    record Result<T>(T value, List<MqOpenEvent> events) {
        List<MqOpenEvent> of(long pid) {
            return events.stream().filter(e -> e.pid() == pid || e.ppid() == pid).toList();
        }
    }

    /**
     * Drains everything buffered now: until a drain comes back empty after the drain interval and every event the
     * program emitted has been received (on a loaded machine the staging thread can lag more than a drain interval
     * behind the kernel buffer), or {@link #SETTLE} passes.
     */
    static List<MqOpenEvent> drainAll(MqOpenProbe probe, Predicate<MqOpenEvent> match) throws ProbeException {
        ByteBuffer buf = MqOpenProbe.allocateBuffer(512);
        List<MqOpenEvent> got = new ArrayList<>();
        long deadline = System.nanoTime() + SETTLE.toNanos();
        int n;
        do {
            n = probe.drain(buf, 3 * probe.options().drainIntervalMillis());
            for (int i = 0; i < n; i++) {
                if (RawEvent.decodeAny(buf, i * RawEvent.SIZE) instanceof MqOpenEvent e && match.test(e)) got.add(e);
            }
        } while (n > 0 || (stillBuffered(probe) && System.nanoTime() < deadline));
        got.sort(Comparator.comparingLong(MqOpenEvent::bootTimeNs));
        return got;
    }

    /** How long {@link #drainAll} waits at most for emitted events still on their way to the reader. */
    static final Duration SETTLE = Duration.ofSeconds(10);

    /** Events the program emitted that no drain has returned yet (in the kernel buffer or the staging area). */
    private static boolean stillBuffered(MqOpenProbe probe) {
        if (probe.loadedMode() == null) return false; // closed: nothing more will come out
        ProbeCounters c = probe.counters();
        return c.emitted() > c.received();
    }
}
