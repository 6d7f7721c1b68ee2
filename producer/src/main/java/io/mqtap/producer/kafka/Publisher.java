package io.mqtap.producer.kafka;

import io.mqtap.avro.MqOpen;
import io.mqtap.producer.core.BootClock;
import io.mqtap.producer.metrics.PipelineMetrics;
import io.mqtap.producer.pipeline.Handoff;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publisher thread: takes batches from the hand-off and sends each record, keyed by the host's machine id
 * so one host's records stay in order in one partition. Every record ends published or counted as failed.
 * Back-pressure comes from Kafka itself: {@code send()} blocks while the producer's buffer is full or the
 * partition's leader is unknown (up to {@code max.block.ms}), and a record Kafka did not take in time fails
 * in its callback, where it is counted. Nothing is flushed here: a stop waits for the acknowledgements
 * itself, bounded by {@code pipeline.shutdownTimeout}.
 */
public final class Publisher implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

    private final Producer<String, SpecificRecord> producer;
    private final String topic;
    private final String key;
    private final Handoff handoff;
    private final PipelineMetrics metrics;
    private final DeliveryErrors errors;
    private final BootClock clock;
    private final SchemaGate schema;
    private final AtomicLong inFlight = new AtomicLong();
    private volatile long lastAckNanos = System.nanoTime();
    private volatile long waitingSinceNanos;
    private volatile boolean abort;

    public Publisher(Producer<String, SpecificRecord> producer, String topic, String key, Handoff handoff,
                     PipelineMetrics metrics, DeliveryErrors errors, BootClock clock, SchemaGate schema) {
        this.producer = producer;
        this.topic = topic;
        this.key = key;
        this.handoff = handoff;
        this.metrics = metrics;
        this.errors = errors;
        this.clock = clock;
        this.schema = schema;
    }

    @Override
    public void run() {
        try {
            // records wait in the hand-off (and the kernel buffer) until the schema is registered
            if (!schema.await(() -> abort)) {
                failRemaining("the schema was never registered");
                return;
            }
            while (true) {
                List<MqOpen> batch = handoff.take(100, TimeUnit.MILLISECONDS);
                if (batch == null) continue;
                if (Handoff.isEnd(batch)) break;
                for (int i = 0; i < batch.size(); i++) {
                    if (!send(batch.get(i))) {
                        metrics.failed.inc(batch.size() - i - 1);
                        failRemaining("the stop timed out before Kafka accepted them");
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends one record; false when the stop gave up on Kafka (this record is then counted as failed). */
    private boolean send(MqOpen record) {
        inFlight.incrementAndGet();
        if (waitingSinceNanos == 0) waitingSinceNanos = System.nanoTime();
        try {
            producer.send(new ProducerRecord<>(topic, null, record.getTimestamp().toEpochMilli(), key, record),
                    new Delivery(record.getBootTimeNs()));
            return true;
        } catch (KafkaException | IllegalStateException e) {
            // refused before it was queued (too large, not serializable), or the stop closed the producer under it
            if (inFlight.decrementAndGet() == 0) waitingSinceNanos = 0;
            metrics.failed.inc();
            if (!abort) errors.report(e);
            return !abort;
        }
    }

    private void failRemaining(String why) {
        long n = 0;
        try {
            // until the reader's end marker, or until it has been quiet for 2 s (it may have died)
            List<MqOpen> b;
            while ((b = handoff.take(2, TimeUnit.SECONDS)) != null && !Handoff.isEnd(b)) n += b.size();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (n > 0) {
            metrics.failed.inc(n);
            LOG.error("{} records were not published because {} (counted in mqtap.failed)", n, why);
        }
    }

    /** Stop waiting on Kafka (the stop then closes the producer, which ends a blocked send): the rest is counted as failed. */
    public void abort() {
        abort = true;
    }

    public long inFlight() {
        return inFlight.get();
    }

    /** Nanoseconds the oldest unacknowledged send has waited since the last acknowledgement, 0 when none wait. */
    public long unackedForNanos() {
        long since = waitingSinceNanos;
        return inFlight.get() > 0 && since != 0 ? System.nanoTime() - Math.max(since, lastAckNanos) : 0;
    }

    private final class Delivery implements Callback {
        private final long bootNs;

        Delivery(long bootNs) {
            this.bootNs = bootNs;
        }

        @Override
        public void onCompletion(RecordMetadata md, Exception e) {
            if (e == null) {
                metrics.published.mark();
                metrics.delivered((clock.nowBootNs() - bootNs) / 1000L);
                lastAckNanos = System.nanoTime();
            } else {
                metrics.failed.inc();
                errors.report(e);
            }
            if (inFlight.decrementAndGet() == 0) waitingSinceNanos = 0;
        }
    }
}
