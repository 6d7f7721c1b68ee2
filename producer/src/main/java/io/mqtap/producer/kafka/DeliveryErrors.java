package io.mqtap.producer.kafka;

import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Delivery errors, logged once per kind (not once per record), and the last fatal one for the health check. */
public final class DeliveryErrors {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryErrors.class);

    private final ConcurrentHashMap<String, Boolean> seen = new ConcurrentHashMap<>();
    private volatile String lastFatal;
    private volatile long lastFatalNanos;

    /** Kafka refused a record for good: it is counted in mqtap.failed. */
    public void report(Exception e) {
        lastFatal = e.getClass().getSimpleName() + ": " + e.getMessage();
        lastFatalNanos = System.nanoTime();
        if (seen.putIfAbsent("fatal:" + e.getClass().getName(), Boolean.TRUE) == null) {
            LOG.error("Kafka refused a record for good (logged once per kind, counted in mqtap.failed): {}", e.toString());
        }
    }

    /** Kafka did not take records this time: they stay in the spool and are sent again. */
    public void resending(Exception e) {
        if (seen.putIfAbsent("retry:" + e.getClass().getName(), Boolean.TRUE) == null) {
            LOG.warn("Kafka did not take records ({}); they stay in the spool and are sent again (logged once per kind)", e.toString());
        }
    }

    /** The last fatal error if it happened within the given window, else null. */
    public String fatalWithin(long windowNanos) {
        String f = lastFatal;
        return f != null && System.nanoTime() - lastFatalNanos < windowNanos ? f : null;
    }
}
