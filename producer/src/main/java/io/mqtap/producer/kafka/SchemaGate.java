package io.mqtap.producer.kafka;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
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

    /** Waits between attempts; Thread::sleep outside tests. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private static final long FIRST_BACKOFF_MILLIS = 100;

    private final Registration registration;
    private final long maxBackoffMillis;
    private final LongSupplier startDelayMillis;
    private final Sleeper sleeper;
    private volatile boolean registered;
    private volatile String problem = "not registered yet";

    public SchemaGate(Registration registration, long maxBackoffMillis) {
        this(registration, maxBackoffMillis, () -> 0);
    }

    /** {@code startDelayMillis}: how long to wait before the first attempt (a fleet's jitter), asked once per {@link #await}. */
    public SchemaGate(Registration registration, long maxBackoffMillis, LongSupplier startDelayMillis) {
        this(registration, maxBackoffMillis, startDelayMillis, Thread::sleep);
    }

    SchemaGate(Registration registration, long maxBackoffMillis, Sleeper sleeper) {
        this(registration, maxBackoffMillis, () -> 0, sleeper);
    }

    SchemaGate(Registration registration, long maxBackoffMillis, LongSupplier startDelayMillis, Sleeper sleeper) {
        if (maxBackoffMillis < 1) throw new IllegalArgumentException("maxBackoffMillis must be >= 1, was " + maxBackoffMillis);
        this.registration = registration;
        this.maxBackoffMillis = maxBackoffMillis;
        this.startDelayMillis = startDelayMillis;
        this.sleeper = sleeper;
    }

    /** Blocks until registered (true) or until {@code giveUp} says stop (false). */
    public boolean await(BooleanSupplier giveUp) throws InterruptedException {
        if (!registered) {
            long delay = startDelayMillis.getAsLong();
            if (delay > 0) {
                problem = "waiting " + delay + " ms (schemaRegistry.startJitter) before the first registry call";
                LOG.info("Waiting {} ms (schemaRegistry.startJitter) before the first registry call", delay);
            }
            // in short steps: a stop during the wait is not held up by it
            for (long left = delay; left > 0; ) {
                if (giveUp.getAsBoolean()) return false;
                long step = Math.min(100, left);
                sleeper.sleep(step);
                left -= step;
            }
        }
        long backoff = Math.min(FIRST_BACKOFF_MILLIS, maxBackoffMillis);
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
                sleeper.sleep(backoff);
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
