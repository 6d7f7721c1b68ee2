package io.mqtap.producer.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class PrometheusServletTest {
    @Test
    void writesEveryPipelineMetricInTextFormat() {
        MetricRegistry r = new MetricRegistry();
        PipelineMetrics m = new PipelineMetrics(r);
        m.captured.mark(5);
        m.dropped.inc(2);
        m.latencyMicros.update(1500);
        m.gauge("lost.kernel", () -> 3);
        StringWriter w = new StringWriter();
        PrometheusServlet.write(r, new PrintWriter(w));
        assertThat(w.toString())
                .contains("# TYPE mqtap_captured_total counter\nmqtap_captured_total 5\n")
                .contains("mqtap_dropped_total 2\n")
                .contains("# TYPE mqtap_lost_kernel gauge\nmqtap_lost_kernel 3\n")
                .contains("mqtap_latency_kernel_to_ack_micros{quantile=\"0.99\"} 1500\n")
                .contains("mqtap_latency_kernel_to_ack_micros_count 1\n");
    }
}
