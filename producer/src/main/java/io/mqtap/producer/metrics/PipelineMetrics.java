package io.mqtap.producer.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.SlidingTimeWindowArrayReservoir;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Every count the pipeline keeps, registered once; each loss point has its own. Names are Dropwizard's
 * ({@code mqtap.*}, served as JSON on {@code /metrics}); {@link MetricNames} says what each is called on
 * {@code /prometheus}: a loss point registered as {@code mqtap.lost.<stage>} appears as
 * {@code mqtap_events_lost_total{stage="<stage>"}}, anything else by convention.
 */
public final class PipelineMetrics {
    public static final String PREFIX = "mqtap.";
    static final String LATENCY = "latency.kernel_to_ack_micros";

    public final Meter captured;
    public final Counter dropped;
    public final Meter published;
    public final Counter failed;
    /** Records of earlier runs sent from the spool and acknowledged by Kafka in this run. */
    public final Counter replayed;
    public final Histogram batchSize;
    /** Microseconds from the kernel's timestamp to Kafka's acknowledgement, over the last minute (for /metrics). */
    public final Histogram latencyMicros;
    /** The same, as a Prometheus histogram ({@code mqtap_delivery_latency_seconds}), cumulative since start. */
    public final io.prometheus.client.Histogram deliveryLatency = io.prometheus.client.Histogram.build()
            .name("mqtap_delivery_latency_seconds")
            .help("Seconds from the kernel's timestamp of an mq_open to Kafka's acknowledgement of its record")
            .buckets(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
            .create();

    private final MetricRegistry registry;

    public PipelineMetrics(MetricRegistry registry) {
        this.registry = registry;
        captured = registry.meter(PREFIX + "captured");
        dropped = registry.counter(PREFIX + "dropped");
        published = registry.meter(PREFIX + "published");
        failed = registry.counter(PREFIX + "failed");
        replayed = registry.counter(PREFIX + "spool.replayed");
        batchSize = registry.histogram(PREFIX + "batch.size");
        latencyMicros = registry.register(PREFIX + LATENCY,
                new Histogram(new SlidingTimeWindowArrayReservoir(60, TimeUnit.SECONDS)));
    }

    /** One record acknowledged by Kafka, {@code micros} after the kernel saw the call. */
    public void delivered(long micros) {
        latencyMicros.update(micros);
        deliveryLatency.observe(micros / 1e6);
    }

    public MetricRegistry registry() {
        return registry;
    }

    /** A value owned elsewhere (kernel counters, queue depth), read when metrics are read. */
    public void gauge(String name, LongSupplier value) {
        registry.gauge(PREFIX + name, () -> (Gauge<Long>) value::getAsLong);
    }
}
