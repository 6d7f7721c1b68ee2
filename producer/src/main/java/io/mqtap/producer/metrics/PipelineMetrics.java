package io.mqtap.producer.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.SlidingTimeWindowArrayReservoir;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** Every count the pipeline keeps, registered once; each loss point has its own. */
public final class PipelineMetrics {
    public static final String PREFIX = "mqtap.";

    public final Meter captured;
    public final Counter dropped;
    public final Meter published;
    public final Counter failed;
    public final Histogram batchSize;
    /** Microseconds from the kernel's timestamp to Kafka's acknowledgement, over the last minute. */
    public final Histogram latencyMicros;

    private final MetricRegistry registry;

    public PipelineMetrics(MetricRegistry registry) {
        this.registry = registry;
        captured = registry.meter(PREFIX + "captured");
        dropped = registry.counter(PREFIX + "dropped");
        published = registry.meter(PREFIX + "published");
        failed = registry.counter(PREFIX + "failed");
        batchSize = registry.histogram(PREFIX + "batch.size");
        latencyMicros = registry.register(PREFIX + "latency.kernel_to_ack_micros",
                new Histogram(new SlidingTimeWindowArrayReservoir(60, TimeUnit.SECONDS)));
    }

    public MetricRegistry registry() {
        return registry;
    }

    /** A value owned elsewhere (kernel counters, queue depth), read when metrics are read. */
    public void gauge(String name, LongSupplier value) {
        registry.gauge(PREFIX + name, () -> (Gauge<Long>) value::getAsLong);
    }
}
