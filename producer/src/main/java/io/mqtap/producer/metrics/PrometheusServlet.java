package io.mqtap.producer.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;

/** The Dropwizard metric registry in Prometheus' text exposition format (version 0.0.4). */
public final class PrometheusServlet extends HttpServlet {
    private static final double[] QUANTILES = {0.5, 0.75, 0.95, 0.99, 0.999};

    private final transient MetricRegistry registry;

    public PrometheusServlet(MetricRegistry registry) {
        this.registry = registry;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain; version=0.0.4; charset=utf-8");
        resp.setHeader("Cache-Control", "must-revalidate,no-cache,no-store");
        write(registry, resp.getWriter());
    }

    /** Writes every metric; names have every character Prometheus does not allow replaced by '_'. */
    public static void write(MetricRegistry registry, PrintWriter out) {
        for (Map.Entry<String, Gauge> e : registry.getGauges().entrySet()) {
            Object v = e.getValue().getValue();
            if (v instanceof Number n) sample(out, name(e.getKey()), "gauge", n.doubleValue());
        }
        for (Map.Entry<String, Counter> e : registry.getCounters().entrySet()) {
            sample(out, name(e.getKey()) + "_total", "counter", e.getValue().getCount());
        }
        for (Map.Entry<String, Meter> e : registry.getMeters().entrySet()) {
            sample(out, name(e.getKey()) + "_total", "counter", e.getValue().getCount());
        }
        for (Map.Entry<String, Histogram> e : registry.getHistograms().entrySet()) {
            summary(out, name(e.getKey()), e.getValue().getSnapshot(), e.getValue().getCount(), 1);
        }
        for (Map.Entry<String, Timer> e : registry.getTimers().entrySet()) {
            summary(out, name(e.getKey()) + "_seconds", e.getValue().getSnapshot(), e.getValue().getCount(), 1e-9);
        }
        out.flush();
    }

    private static void sample(PrintWriter out, String name, String type, double value) {
        out.printf("# TYPE %s %s%n%s %s%n", name, type, name, format(value));
    }

    private static void summary(PrintWriter out, String name, Snapshot s, long count, double scale) {
        out.printf("# TYPE %s summary%n", name);
        for (double q : QUANTILES) out.printf("%s{quantile=\"%s\"} %s%n", name, q, format(s.getValue(q) * scale));
        out.printf("%s_count %d%n", name, count);
    }

    private static String format(double v) {
        return v == Math.rint(v) && !Double.isInfinite(v) ? Long.toString((long) v) : Double.toString(v);
    }

    static String name(String dropwizardName) {
        String n = dropwizardName.replaceAll("[^a-zA-Z0-9_:]", "_");
        return Character.isDigit(n.charAt(0)) ? "_" + n : n;
    }
}
