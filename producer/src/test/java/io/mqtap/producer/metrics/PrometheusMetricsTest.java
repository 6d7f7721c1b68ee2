package io.mqtap.producer.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.mqtap.producer.health.ProbeHealthCheck;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class PrometheusMetricsTest {
    private final MetricRegistry dropwizard = new MetricRegistry();
    private final PipelineMetrics m = new PipelineMetrics(dropwizard);
    private final AtomicBoolean attached = new AtomicBoolean(true);
    private final AtomicBoolean registered = new AtomicBoolean(false);
    private final PrometheusMetrics prometheus = new PrometheusMetrics(dropwizard, m,
            () -> new ProbeHealthCheck.State(attached.get(), attached.get() ? "tracepoint" : "detached (stopping)"), registered::get);

    private String scrape(String format) throws Exception {
        StringWriter w = new StringWriter();
        TextFormat.writeFormat(format, w, prometheus.registry().metricFamilySamples());
        return w.toString();
    }

    @Test
    void pipelineCountsHaveTheContractNamesAndTypes() throws Exception {
        m.captured.mark(7);
        m.published.mark(5);
        m.dropped.inc(2);
        m.failed.inc(1);
        m.gauge("lost.kernel", () -> 3);
        String text = scrape(TextFormat.CONTENT_TYPE_004);
        assertThat(text)
                .contains("# TYPE mqtap_events_captured_total counter\nmqtap_events_captured_total 7.0\n")
                .contains("mqtap_events_published_total 5.0\n")
                .contains("# TYPE mqtap_events_lost_total counter\n")
                .contains("mqtap_events_lost_total{stage=\"kernel\",} 3.0\n")
                .contains("mqtap_events_lost_total{stage=\"handoff\",} 2.0\n")
                .contains("mqtap_events_lost_total{stage=\"delivery\",} 1.0\n");
        // one TYPE line per family, or Prometheus rejects the scrape
        assertThat(text.split("# TYPE mqtap_events_lost_total ", -1)).hasSize(2);
    }

    @Test
    void newDropwizardMetricsGetConventionalNamesWithoutCode() throws Exception {
        dropwizard.counter("mqtap.lost.spool").inc(4);
        dropwizard.gauge("mqtap.spool.maxBytes", () -> () -> 1024L);
        dropwizard.gauge("mqtap.spool.bytes", () -> () -> 512L);
        dropwizard.counter("mqtap.spool.writes").inc(9);
        dropwizard.gauge("mqtap.kafka.throttleMs", () -> () -> 250L);
        dropwizard.counter("jvm.unrelated").inc();
        String text = scrape(TextFormat.CONTENT_TYPE_004);
        assertThat(text)
                .contains("mqtap_events_lost_total{stage=\"spool\",} 4.0\n")
                .contains("# TYPE mqtap_spool_max_bytes gauge\nmqtap_spool_max_bytes 1024.0\n")
                .contains("mqtap_spool_bytes 512.0\n")
                .contains("# TYPE mqtap_spool_writes_total counter\nmqtap_spool_writes_total 9.0\n")
                .contains("# TYPE mqtap_kafka_throttle_ms gauge\nmqtap_kafka_throttle_ms 250.0\n")
                .doesNotContain("jvm_unrelated");
        assertThat(text.split("# TYPE mqtap_spool_bytes ", -1)).as("declared family not repeated").hasSize(2);
    }

    @Test
    void latencyIsAHistogramInSeconds() throws Exception {
        m.delivered(30_000);
        m.delivered(2_000_000);
        String text = scrape(TextFormat.CONTENT_TYPE_004);
        assertThat(text)
                .contains("# TYPE mqtap_delivery_latency_seconds histogram\n")
                .contains("mqtap_delivery_latency_seconds_bucket{le=\"0.05\",} 1.0\n")
                .contains("mqtap_delivery_latency_seconds_bucket{le=\"2.5\",} 2.0\n")
                .contains("mqtap_delivery_latency_seconds_count 2.0\n")
                .doesNotContain("kernel_to_ack_micros");
    }

    @Test
    void probeModeRegistryStateAndBuildInfo() throws Exception {
        String text = scrape(TextFormat.CONTENT_TYPE_004);
        assertThat(text)
                .contains("mqtap_probe_attached{mode=\"tracepoint\",} 1.0\n")
                .contains("mqtap_probe_attached{mode=\"kprobe\",} 0.0\n")
                .contains("mqtap_schema_registry_up 0.0\n")
                .containsPattern("mqtap_build_info\\{version=\"[^\"]+\",java_version=\"17[^\"]*\",kernel=\"[^\"]+\",} 1.0\n")
                .contains("# TYPE mqtap_suppressed_total counter\n")
                .contains("process_cpu_seconds_total");
        attached.set(false);
        registered.set(true);
        text = scrape(TextFormat.CONTENT_TYPE_004);
        assertThat(text).contains("mqtap_probe_attached{mode=\"tracepoint\",} 0.0\n").contains("mqtap_schema_registry_up 1.0\n");
    }

    @Test
    void openMetricsWhenTheScraperAsksForIt() throws Exception {
        m.captured.mark(1);
        m.dropped.inc();
        String text = scrape(TextFormat.CONTENT_TYPE_OPENMETRICS_100);
        assertThat(text).contains("# TYPE mqtap_events_lost counter\n").contains("mqtap_events_lost_total{stage=\"handoff\"} 1.0\n")
                .endsWith("# EOF\n");
    }
}
