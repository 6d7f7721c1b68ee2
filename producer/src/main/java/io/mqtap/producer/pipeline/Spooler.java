package io.mqtap.producer.pipeline;

import io.mqtap.producer.core.RecordType;
import io.mqtap.producer.kafka.RecordBodies;
import io.mqtap.producer.metrics.PipelineMetrics;
import io.mqtap.producer.spool.DiskSpool;
import io.mqtap.producer.spool.SpoolRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spooler thread: takes batches from the hand-off, encodes each record's Avro body and appends the batch to the
 * disk spool (write-ahead of Kafka, always: see docs/delivery.md for why). Ends after the reader's end marker.
 */
public final class Spooler implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Spooler.class);
    /** Records one append (one write, one fsync with spool.fsync: batch) takes at most. */
    static final int GROUP_MAX = 16_384;

    private final Handoff handoff;
    private final DiskSpool spool;
    private final byte[] key;
    private final PipelineMetrics metrics;
    private final RecordBodies bodies = new RecordBodies();
    private volatile boolean abort;
    private volatile boolean done;
    /** The last record that went into the spool: where this run ends, for the next one. */
    private volatile long lastSequence = -1;
    /** the last sequence appended, or dropped and counted: the pinned ring may be committed up to it */
    private volatile long lastHandled = -1;
    private volatile long lastTimestampMicros;

    public Spooler(Handoff handoff, DiskSpool spool, byte[] key, PipelineMetrics metrics) {
        this.handoff = handoff;
        this.spool = spool;
        this.key = key;
        this.metrics = metrics;
    }

    @Override
    public void run() {
        try {
            boolean end = false;
            while (!end) {
                List<SpecificRecord> first = handoff.take(100, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                if (Handoff.isEnd(first)) break;
                // group commit: what else is waiting goes into the same append (one write, one fsync)
                List<SpecificRecord> batch = new ArrayList<>(first);
                List<SpecificRecord> more;
                while (batch.size() < GROUP_MAX && (more = handoff.take(0, TimeUnit.MILLISECONDS)) != null) {
                    if (Handoff.isEnd(more)) {
                        end = true;
                        break;
                    }
                    batch.addAll(more);
                }
                List<SpoolRecord> records = new ArrayList<>(batch.size());
                for (SpecificRecord r : batch) {
                    java.time.Instant t = RecordType.timestamp(r);
                    long micros = t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
                    records.add(new SpoolRecord(RecordType.of(r).ordinal(), RecordType.sequence(r), micros, key, bodies.encode(r)));
                }
                long droppedBefore = spool.dropped();
                int appended = spool.append(records, () -> abort);
                lastHandled = records.get(records.size() - 1).sequence();
                if (appended > 0) {
                    SpoolRecord last = records.get(records.size() - 1);
                    lastTimestampMicros = last.timestampMicros();
                    lastSequence = last.sequence();
                } else {
                    // dropped by the spool (whenFull: dropNewest): counted there (mqtap.lost.spool, the stats' dropped)
                    if (spool.dropped() == droppedBefore) {
                        // the stop's time ran out while the spool was full
                        metrics.failed.inc(batch.size());
                        LOG.error("{} records were not spooled because the stop timed out while the spool was full (counted in mqtap.failed)",
                                batch.size());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            done = true;
        }
    }

    /** True once every batch handed over is in the spool (or counted). */
    public boolean done() {
        return done;
    }

    public long lastSequence() {
        return lastSequence;
    }

    /** The last sequence in the spool or counted as not spooled (dropped, failed): nothing up to it is in memory only. */
    public long lastHandled() {
        return lastHandled;
    }

    public long lastTimestampMicros() {
        return lastTimestampMicros;
    }

    /** Stop waiting for room in a full spool: what is left is counted as failed. */
    public void abort() {
        abort = true;
    }
}
