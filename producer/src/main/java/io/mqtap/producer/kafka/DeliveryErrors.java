package io.mqtap.producer.kafka;

import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Delivery errors, logged once per kind (not once per record), and the last fatal one for the health check. */
public final class DeliveryErrors {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryErrors.class);

    private final ConcurrentHashMap<String, Boolean> seen = new ConcurrentHashMap<>();
    private volatile String lastFatal;
    private volatile long lastFatalNanos;

    public void report(Exception e) {
        boolean retriable = e instanceof RetriableException;
        if (!retriable) {
            lastFatal = e.getClass().getSimpleName() + ": " + e.getMessage();
            lastFatalNanos = System.nanoTime();
        }
        if (seen.putIfAbsent(e.getClass().getName(), Boolean.TRUE) == null) {
            LOG.error("Kafka delivery failed ({}; logged once per kind, counted in mqtap.failed): {}",
                    retriable ? "retriable, gave up after the delivery timeout" : "fatal", e.toString());
        }
    }

    /** The last fatal error if it happened within the given window, else null. */
    public String fatalWithin(long windowNanos) {
        String f = lastFatal;
        return f != null && System.nanoTime() - lastFatalNanos < windowNanos ? f : null;
    }
}
