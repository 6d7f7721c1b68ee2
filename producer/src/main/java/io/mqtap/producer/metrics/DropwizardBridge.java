package io.mqtap.producer.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import io.prometheus.client.Collector;
import io.prometheus.client.dropwizard.DropwizardExports;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code mqtap.*} Dropwizard metrics through the Prometheus client's Dropwizard bridge, named by
 * {@link MetricNames}. Counters are bridged apart from the rest so they get {@code _total}; families that
 * end up with one name (the loss stages come from gauges and counters alike) are merged into one, typed
 * counter when the name ends in {@code _total}.
 */
final class DropwizardBridge extends Collector {
    /**
     * Families other modules fill (issue 13's spool, issue 14's per-uid suppression): declared even before
     * their first sample, so dashboards and alerts can name them on every producer.
     */
    static final Map<String, Type> DECLARED = Map.of(
            "mqtap_suppressed_total", Type.COUNTER,
            "mqtap_spool_bytes", Type.GAUGE,
            "mqtap_spool_max_bytes", Type.GAUGE,
            "mqtap_spool_records", Type.GAUGE);

    private final List<DropwizardExports> exports;

    /** {@code skipped}: Dropwizard names exposed otherwise (a native Prometheus histogram replaces them). */
    DropwizardBridge(MetricRegistry registry, Set<String> skipped) {
        MetricFilter mqtap = (name, m) -> name.startsWith(PipelineMetrics.PREFIX) && !skipped.contains(name);
        exports = List.of(
                new DropwizardExports(registry, (n, m) -> m instanceof Counter && mqtap.matches(n, m), MetricNames.sampleBuilder(true)),
                new DropwizardExports(registry, (n, m) -> !(m instanceof Counter) && mqtap.matches(n, m), MetricNames.sampleBuilder(false)));
    }

    @Override
    public List<MetricFamilySamples> collect() {
        Map<String, List<MetricFamilySamples.Sample>> samples = new LinkedHashMap<>();
        Map<String, MetricFamilySamples> first = new LinkedHashMap<>();
        for (DropwizardExports e : exports) {
            for (MetricFamilySamples f : e.collect()) {
                // a counter family's name has no _total (the client adds it to samples); key on the sample name
                String name = f.type == Type.COUNTER ? f.name + "_total" : f.name;
                first.putIfAbsent(name, f);
                samples.computeIfAbsent(name, k -> new ArrayList<>()).addAll(f.samples);
            }
        }
        List<MetricFamilySamples> out = new ArrayList<>();
        for (var e : samples.entrySet()) {
            MetricFamilySamples f = first.get(e.getKey());
            Type type = e.getKey().endsWith("_total") ? Type.COUNTER : f.type;
            out.add(new MetricFamilySamples(e.getKey(), type, help(e.getKey(), f.help), e.getValue()));
        }
        DECLARED.forEach((name, type) -> {
            if (!samples.containsKey(name)) out.add(new MetricFamilySamples(name, type, help(name, "Declared; no sample yet"), List.of()));
        });
        return out;
    }

    private static String help(String name, String bridged) {
        return name.equals("mqtap_events_lost_total")
                ? "Events lost, by the stage that lost them (kernel buffer, hand-off, Kafka delivery, spool)" : bridged;
    }
}
