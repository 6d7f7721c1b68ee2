package io.mqtap.producer.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.dropwizard.samplebuilder.CustomMappingSampleBuilder;
import io.prometheus.client.dropwizard.samplebuilder.MapperConfig;
import io.prometheus.client.dropwizard.samplebuilder.SampleBuilder;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a Dropwizard metric name ({@code mqtap.*}) becomes a Prometheus name, in one table. A name no rule
 * matches is converted by convention: dots and camelCase become underscores ({@code mqtap.spool.maxBytes}
 * is {@code mqtap_spool_max_bytes}); a Counter or Meter gets {@code _total}. So a new Dropwizard metric
 * appears on {@code /prometheus} with a conventional name without code here; only a name that must carry a
 * label, or differs from the convention, needs a rule.
 */
public final class MetricNames {
    private static final Pattern CAMEL = Pattern.compile("([a-z0-9])([A-Z])");

    /** Matched in order, against the snake_cased Dropwizard name; {@code ${0}} is what {@code *} matched. */
    static final List<MapperConfig> RULES = List.of(
            rule("mqtap.captured", "mqtap_events_captured"),
            rule("mqtap.published", "mqtap_events_published"),
            // every loss point is one family, told apart by stage: kernel, handoff, delivery, spool
            rule("mqtap.dropped", "mqtap_events_lost_total", Map.of("stage", "handoff")),
            rule("mqtap.failed", "mqtap_events_lost_total", Map.of("stage", "delivery")),
            // the kernel stage's total, each way apart (entry_dropped, entry_skipped, exit_missed, ...)
            rule("mqtap.lost.kernel.*", "mqtap_kernel_events_lost", Map.of("way", "${0}")),
            rule("mqtap.lost.*", "mqtap_events_lost_total", Map.of("stage", "${0}")),
            rule("mqtap.suppressed.*", "mqtap_suppressed_total", Map.of("uid", "${0}")));

    private MetricNames() {}

    /** {@code mqtap.spool.maxBytes} -> {@code mqtap.spool.max_bytes}: Prometheus names are snake case. */
    static String snakeCase(String dropwizardName) {
        return CAMEL.matcher(dropwizardName).replaceAll("$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** The sample builder for one kind of Dropwizard metric; {@code counting}: Counters, which get {@code _total}. */
    static SampleBuilder sampleBuilder(boolean counting) {
        CustomMappingSampleBuilder rules = new CustomMappingSampleBuilder(RULES);
        return (name, suffix, labelNames, labelValues, value) -> {
            var s = rules.createSample(snakeCase(name), "", labelNames, labelValues, value);
            String n = s.name;
            if (!suffix.isEmpty() && !(suffix.equals("_total") && n.endsWith("_total"))) n += suffix;
            if (counting && !n.endsWith("_total")) n += "_total";
            return new Collector.MetricFamilySamples.Sample(n, s.labelNames, s.labelValues, s.value);
        };
    }

    private static MapperConfig rule(String match, String name) {
        return rule(match, name, Map.of());
    }

    private static MapperConfig rule(String match, String name, Map<String, String> labels) {
        MapperConfig c = new MapperConfig();
        c.setMatch(match);
        c.setName(name);
        c.setLabels(labels);
        return c;
    }
}
