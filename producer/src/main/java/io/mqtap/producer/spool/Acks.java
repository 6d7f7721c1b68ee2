package io.mqtap.producer.spool;

import java.util.TreeSet;

/**
 * Which spool indexes Kafka has acknowledged: everything below {@link #next()}, plus any acknowledged out of order
 * (after a resend) until the gap below them closes. Any thread; an index acknowledged twice counts once.
 */
final class Acks {
    private long next;
    private final TreeSet<Long> ahead = new TreeSet<>();

    Acks(long next) {
        this.next = next;
    }

    synchronized void ack(long index) {
        if (index < next) return;
        if (index > next) {
            ahead.add(index);
            return;
        }
        next++;
        while (!ahead.isEmpty() && ahead.first() == next) {
            ahead.pollFirst();
            next++;
        }
    }

    /** The first index not acknowledged yet. */
    synchronized long next() {
        return next;
    }

    synchronized boolean acked(long index) {
        return index < next || ahead.contains(index);
    }
}
