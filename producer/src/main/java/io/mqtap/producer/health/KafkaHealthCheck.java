package io.mqtap.producer.health;

import com.codahale.metrics.health.HealthCheck;
import io.mqtap.producer.kafka.DeliveryErrors;
import io.mqtap.producer.kafka.Publisher;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Fails when the publisher thread died, Kafka is not reachable or not durable enough yet, records wait too long for
 * Kafka's acknowledgement, or Kafka refused a record recently.
 */
public final class KafkaHealthCheck extends HealthCheck {
    private static final long FATAL_WINDOW_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final Supplier<Publisher> publisher;
    private final DeliveryErrors errors;
    private final LongSupplier ackTimeoutNanos;
    private final Supplier<String> publisherEnded;

    /** With the timeout read at each check (a reload may change it). */
    public KafkaHealthCheck(Supplier<Publisher> publisher, DeliveryErrors errors, LongSupplier ackTimeoutNanos, Supplier<String> publisherEnded) {
        this.publisher = publisher;
        this.errors = errors;
        this.ackTimeoutNanos = ackTimeoutNanos;
        this.publisherEnded = publisherEnded;
    }

    @Override
    protected Result check() {
        String ended = publisherEnded.get();
        if (ended != null) return Result.unhealthy(ended);
        Publisher publisher = this.publisher.get();
        if (publisher == null) return Result.unhealthy("not started");
        String notReady = publisher.notReady();
        if (notReady != null) return Result.unhealthy(notReady + " (records wait in the spool)");
        String fatal = errors.fatalWithin(FATAL_WINDOW_NANOS);
        if (fatal != null) return Result.unhealthy("Kafka refused records in the last 5 minutes: " + fatal);
        long waited = publisher.unackedForNanos();
        long ackTimeoutNanos = this.ackTimeoutNanos.getAsLong();
        if (waited > ackTimeoutNanos) {
            return Result.unhealthy(String.format("%d records have waited %d s for a Kafka acknowledgement",
                    publisher.inFlight(), TimeUnit.NANOSECONDS.toSeconds(waited)));
        }
        return Result.healthy("Kafka acknowledging (" + publisher.inFlight() + " records in flight)");
    }
}
