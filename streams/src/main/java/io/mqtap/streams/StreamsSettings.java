package io.mqtap.streams;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The application's settings: {@code mqtap.*} keys for topics and rules (with the defaults below), everything
 * else passed through to Kafka Streams and, for {@code schema.registry.*} and {@code basic.auth.*}, to the
 * Avro serdes. Durations are ISO-8601 ({@code PT1M}) or milliseconds.
 */
public final class StreamsSettings {
    public static final String PREFIX = "mqtap.";

    private final Map<String, String> all;

    public StreamsSettings(Map<String, String> props) {
        this.all = Map.copyOf(props);
        validate();
    }

    public String eventsTopic() { return get("mqtap.topic.events", "mq-open-events"); }
    public String statsTopic() { return get("mqtap.topic.stats", "mq-open-stats"); }
    public String countsTopic() { return get("mqtap.topic.counts", "mq-open-counts"); }
    public String alertsTopic() { return get("mqtap.topic.alerts", "mq-open-alerts"); }
    public String completenessTopic() { return get("mqtap.topic.completeness", "mq-open-completeness"); }

    /** Partitions of the internal topics that re-key events and stats by host; both get the same count. */
    public int repartitionPartitions() { return (int) number("mqtap.repartition.partitions", 3); }

    /** Size of the counting window (the rate rule's "minute"). */
    public Duration countsWindow() { return duration("mqtap.counts.window", Duration.ofMinutes(1)); }
    /** How long a window stays open for late events after it ends. */
    public Duration grace() { return duration("mqtap.grace", Duration.ofSeconds(30)); }

    /** Weight of the newest minute in the usual-rate mean (0..1]. */
    public double rateAlpha() { return number("mqtap.alert.rate.alpha", 0.2); }
    /** A minute is a spike above {@code multiplier x usual}... */
    public double rateMultiplier() { return number("mqtap.alert.rate.multiplier", 5.0); }
    /** ...and above this many calls, so quiet processes do not alert on small numbers. */
    public double rateFloor() { return number("mqtap.alert.rate.floor", 100); }
    /** Minutes of history a process needs before its rate can spike. */
    public long rateWarmupMinutes() { return (long) number("mqtap.alert.rate.warmup-minutes", 5); }

    public Duration permissionWindow() { return duration("mqtap.alert.permission.window", Duration.ofMinutes(1)); }
    /** EACCES/EPERM failures of one process in one window that make a burst. */
    public long permissionThreshold() { return (long) number("mqtap.alert.permission.threshold", 20); }

    /** Open gaps tracked per run before the oldest are given up (counted as missing for good). */
    public int maxTrackedGaps() { return (int) number("mqtap.completeness.max-gaps", 1000); }

    /** Everything that is not {@code mqtap.*}: Kafka Streams, client and registry settings. */
    public Properties streamsProperties() {
        Properties p = new Properties();
        all.forEach((k, v) -> {
            if (!k.startsWith(PREFIX)) {
                p.setProperty(k, v);
            }
        });
        return p;
    }

    /** The settings the Avro serdes read ({@code schema.registry.*}, {@code basic.auth.*}, ...). */
    public Map<String, String> registryProperties() {
        Map<String, String> m = new HashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith("schema.registry.") || k.startsWith("basic.auth.") || k.startsWith("auto.register")
                    || k.startsWith("use.latest") || k.endsWith("subject.name.strategy")) {
                m.put(k, v);
            }
        });
        return m;
    }

    private void validate() {
        require(rateAlpha() > 0 && rateAlpha() <= 1, "mqtap.alert.rate.alpha must be in (0, 1]");
        require(rateMultiplier() >= 1, "mqtap.alert.rate.multiplier must be at least 1");
        require(rateFloor() >= 0, "mqtap.alert.rate.floor must not be negative");
        require(rateWarmupMinutes() >= 1, "mqtap.alert.rate.warmup-minutes must be at least 1");
        require(permissionThreshold() >= 1, "mqtap.alert.permission.threshold must be at least 1");
        require(!countsWindow().isNegative() && !countsWindow().isZero(), "mqtap.counts.window must be positive");
        require(!permissionWindow().isNegative() && !permissionWindow().isZero(), "mqtap.alert.permission.window must be positive");
        require(!grace().isNegative(), "mqtap.grace must not be negative");
        require(maxTrackedGaps() >= 1, "mqtap.completeness.max-gaps must be at least 1");
        require(repartitionPartitions() >= 1, "mqtap.repartition.partitions must be at least 1");
        for (String k : all.keySet()) {
            require(!k.startsWith(PREFIX) || KNOWN.contains(k), "unknown setting " + k);
        }
    }

    private static final java.util.Set<String> KNOWN = java.util.Set.of(
            "mqtap.topic.events", "mqtap.topic.stats", "mqtap.topic.counts", "mqtap.topic.alerts",
            "mqtap.topic.completeness", "mqtap.repartition.partitions", "mqtap.counts.window", "mqtap.grace",
            "mqtap.alert.rate.alpha", "mqtap.alert.rate.multiplier", "mqtap.alert.rate.floor",
            "mqtap.alert.rate.warmup-minutes", "mqtap.alert.permission.window", "mqtap.alert.permission.threshold",
            "mqtap.completeness.max-gaps");

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private String get(String key, String def) {
        String v = all.get(key);
        return v == null || v.isBlank() ? def : v.trim();
    }

    private double number(String key, double def) {
        String v = all.get(key);
        if (v == null || v.isBlank()) {
            return def;
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
        }
    }

    private Duration duration(String key, Duration def) {
        String v = all.get(key);
        if (v == null || v.isBlank()) {
            return def;
        }
        v = v.trim();
        try {
            return v.startsWith("P") || v.startsWith("p") ? Duration.parse(v) : Duration.ofMillis(Long.parseLong(v));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " must be an ISO-8601 duration (PT1M) or milliseconds, got '" + v + "'");
        }
    }
}
