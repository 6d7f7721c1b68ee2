package io.mqtap.producer.kafka;

import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the record schemas before anything is sent, retrying with backoff while the registry is away,
 * and remembers why it has not succeeded yet for the health check.
 */
public final class SchemaGate {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaGate.class);

    /** One attempt at registering every schema the producer writes. */
    @FunctionalInterface
    public interface Registration {
        void registerAll() throws Exception;
    }

    private final Registration registration;
    private final long maxBackoffMillis;
    private volatile boolean registered;
    private volatile String problem = "not registered yet";

    public SchemaGate(Registration registration, long maxBackoffMillis) {
        this.registration = registration;
        this.maxBackoffMillis = maxBackoffMillis;
    }

    /** Blocks until registered (true) or until {@code giveUp} says stop (false). */
    public boolean await(BooleanSupplier giveUp) throws InterruptedException {
        long backoff = 100;
        while (!registered) {
            try {
                registration.registerAll();
                registered = true;
                problem = null;
                LOG.info("Schemas registered");
            } catch (Exception e) {
                if (problem == null || !problem.equals(e.getMessage())) {
                    LOG.warn("Schema registration failed, retrying every {} ms at most: {}", maxBackoffMillis, e.getMessage());
                }
                problem = String.valueOf(e.getMessage());
                if (giveUp.getAsBoolean()) return false;
                Thread.sleep(backoff);
                backoff = Math.min(maxBackoffMillis, backoff * 2);
            }
        }
        return true;
    }

    public boolean registered() {
        return registered;
    }

    /** Why the schemas are not registered, or null once they are. */
    public String problem() {
        return problem;
    }
}
