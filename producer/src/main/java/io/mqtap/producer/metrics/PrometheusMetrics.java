package io.mqtap.producer.metrics;

import com.codahale.metrics.MetricRegistry;
import io.mqtap.producer.health.ProbeHealthCheck;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.hotspot.GarbageCollectorExports;
import io.prometheus.client.hotspot.MemoryPoolsExports;
import io.prometheus.client.hotspot.StandardExports;
import io.prometheus.client.hotspot.ThreadExports;
import io.prometheus.client.servlet.jakarta.exporter.MetricsServlet;
import jakarta.servlet.http.HttpServlet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What {@code /prometheus} serves, through the Prometheus Java client: the Dropwizard metrics bridged with
 * conventional names ({@link MetricNames}), the delivery latency histogram, probe and registry state,
 * build info, and the JVM's own (process CPU and memory, GC, threads).
 */
public final class PrometheusMetrics {
    /** The hook sets a probe can attach with: one series each, 1 for the attached one. */
    static final List<String> MODES = List.of("fentry", "kprobe", "tracepoint");

    private final CollectorRegistry registry = new CollectorRegistry(true);

    public PrometheusMetrics(MetricRegistry dropwizard, PipelineMetrics pipeline, Supplier<ProbeHealthCheck.State> probe,
                             BooleanSupplier schemasRegistered) {
        // the Dropwizard latency histogram stays on /metrics; Prometheus gets a real histogram instead
        new DropwizardBridge(dropwizard, Set.of(PipelineMetrics.PREFIX + PipelineMetrics.LATENCY)).register(registry);
        pipeline.deliveryLatency.register(registry);
        new StateCollector(probe, schemasRegistered).register(registry);
        new StandardExports().register(registry);
        new MemoryPoolsExports().register(registry);
        new GarbageCollectorExports().register(registry);
        new ThreadExports().register(registry);
    }

    public CollectorRegistry registry() {
        return registry;
    }

    /** The text exposition (OpenMetrics when the scraper asks for it). */
    public HttpServlet servlet() {
        return new MetricsServlet(registry);
    }

    /** Gauges read at scrape time from the pipeline's own state. */
    private static final class StateCollector extends Collector {
        private final Supplier<ProbeHealthCheck.State> probe;
        private final BooleanSupplier schemasRegistered;

        StateCollector(Supplier<ProbeHealthCheck.State> probe, BooleanSupplier schemasRegistered) {
            this.probe = probe;
            this.schemasRegistered = schemasRegistered;
        }

        @Override
        public List<MetricFamilySamples> collect() {
            ProbeHealthCheck.State s = probe.get();
            GaugeMetricFamily attached = new GaugeMetricFamily("mqtap_probe_attached",
                    "1 for the hook set the probe is attached with (fentry, kprobe, tracepoint), 0 for the others; all 0 when detached",
                    List.of("mode"));
            for (String m : MODES) attached.addMetric(List.of(m), s.attached() && m.equals(s.detail()) ? 1 : 0);
            GaugeMetricFamily registryUp = new GaugeMetricFamily("mqtap_schema_registry_up",
                    "1 once the record schemas are registered in the Schema Registry; 0 while the producer waits for it (nothing is published then)",
                    schemasRegistered.getAsBoolean() ? 1 : 0);
            GaugeMetricFamily build = new GaugeMetricFamily("mqtap_build_info",
                    "Always 1; the labels say which mqtap, Java and kernel run here", List.of("version", "java_version", "kernel"));
            build.addMetric(List.of(BuildInfo.version(), System.getProperty("java.runtime.version", ""),
                    System.getProperty("os.version", "")), 1);
            return List.of(attached, registryUp, build);
        }
    }
}
