package io.mqtap.producer.kafka;

import java.util.Map;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * How long the brokers' quotas held this producer back: the Kafka client's own {@code produce-throttle-time-max}
 * (the longest throttle any produce response asked for in the client's metric window, about the last minute). A
 * throttled producer is not failing: its records wait in the spool until the quota lets them through.
 */
public final class ProducerThrottle {
    static final String MAX = "produce-throttle-time-max";

    private ProducerThrottle() {}

    /** Milliseconds; 0 when no response asked for a throttle in the window (or none came: Kafka's NaN). */
    public static long maxMillis(Producer<?, ?> producer) {
        for (Map.Entry<MetricName, ? extends Metric> e : producer.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (n.name().equals(MAX) && n.group().equals("producer-metrics") && e.getValue().metricValue() instanceof Number v) {
                double ms = v.doubleValue();
                return Double.isNaN(ms) || ms < 0 ? 0 : Math.round(ms);
            }
        }
        return 0;
    }
}
