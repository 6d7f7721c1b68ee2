package io.mqtap.streams;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The application's settings: {@code mqtap.*} keys for topics and rules, defined (type, default, check) in
 * {@link #DEFINITION}; everything else is passed through to Kafka Streams and, for {@code schema.registry.*} and
 * {@code basic.auth.*}, to the Avro serdes. Durations are ISO-8601 ({@code PT1M}) or milliseconds. A bad or unknown
 * {@code mqtap.*} setting throws {@link ConfigException} naming the key.
 */
public final class StreamsSettings extends AbstractConfig {
    public static final String PREFIX = "mqtap.";

    private static final String EVENTS = "mqtap.topic.events", STATS = "mqtap.topic.stats", COUNTS = "mqtap.topic.counts", COUNTS_LATE = "mqtap.topic.counts-late",
            ALERTS = "mqtap.topic.alerts", COMPLETENESS = "mqtap.topic.completeness",
            REPARTITION = "mqtap.repartition.partitions", WINDOW = "mqtap.counts.window", GRACE = "mqtap.grace",
            ALPHA = "mqtap.alert.rate.alpha", MULTIPLIER = "mqtap.alert.rate.multiplier", FLOOR = "mqtap.alert.rate.floor",
            WARMUP = "mqtap.alert.rate.warmup-minutes", PERMISSION_WINDOW = "mqtap.alert.permission.window",
            PERMISSION_THRESHOLD = "mqtap.alert.permission.threshold", MAX_GAPS = "mqtap.completeness.max-gaps",
            UNLINKS = "mqtap.topic.unlinks", NOTIFIES = "mqtap.topic.notifies", SETATTRS = "mqtap.topic.setattrs",
            ACCESS = "mqtap.topic.access", TRANSFERS = "mqtap.topic.transfers", QUEUES = "mqtap.topic.queues",
            MAX_OPENERS = "mqtap.queues.max-openers", QUERIES_LISTEN = "mqtap.queries.listen",
            GAP_GRACE = "mqtap.completeness.gap-grace", UNLINKED_RETENTION = "mqtap.queues.unlinked-retention",
            IDLE_RETENTION = "mqtap.queues.idle-retention", DEDUP_WINDOW = "mqtap.dedup.window",
            RUN_RETENTION = "mqtap.completeness.run-retention";

    /** An ISO-8601 duration or a number of milliseconds, at least {@code min} long. */
    private static ConfigDef.Validator duration(Duration min) {
        return (name, value) -> {
            Duration d = parseDuration(name, value.toString());
            if (d.compareTo(min) < 0) throw new ConfigException(name, value, min.isZero() ? "must not be negative" : "must be positive");
        };
    }

    private static final ConfigDef.Validator ALPHA_RANGE = (name, value) -> {
        double a = (Double) value;
        if (!(a > 0 && a <= 1)) throw new ConfigException(name, value, "must be in (0, 1]");
    };

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(EVENTS, Type.STRING, "mq-open-events", Importance.HIGH, "The producer's events topic.")
            .define(STATS, Type.STRING, "mq-open-stats", Importance.HIGH, "The producer's stats topic.")
            .define(COUNTS, Type.STRING, "mq-open-counts", Importance.MEDIUM, "Per-minute counts, written here.")
            .define(COUNTS_LATE, Type.STRING, "mq-open-counts-late", Importance.MEDIUM,
                    "Calls that came after their minute's count was published (later than the grace), counted per host and "
                    + "minute as corrections to add to that count, written here.")
            .define(ALERTS, Type.STRING, "mq-open-alerts", Importance.MEDIUM, "Alerts, written here.")
            .define(COMPLETENESS, Type.STRING, "mq-open-completeness", Importance.MEDIUM, "Completeness reports, written here.")
            .define(REPARTITION, Type.INT, 3, Range.atLeast(1), Importance.LOW,
                    "Partitions of the internal topics that re-key events and stats by host; both get the same count.")
            .define(WINDOW, Type.STRING, "PT1M", duration(Duration.ofMillis(1)), Importance.MEDIUM,
                    "Size of the counting window (the rate rule's \"minute\").")
            .define(GRACE, Type.STRING, "PT2M", duration(Duration.ZERO), Importance.MEDIUM,
                    "How long a window stays open for late events after it ends (event time): a window's count is published "
                            + "then, and a call later than that goes to the late counts topic. Sized to a failover: a killed "
                            + "instance's partitions resume a session timeout (45 s) and a catch-up behind the others.")
            .define(ALPHA, Type.DOUBLE, 0.2, ALPHA_RANGE, Importance.LOW, "Weight of the newest minute in the usual-rate mean (0..1].")
            .define(MULTIPLIER, Type.DOUBLE, 5.0, Range.atLeast(1), Importance.LOW, "A minute is a spike above multiplier x usual...")
            .define(FLOOR, Type.DOUBLE, 100.0, Range.atLeast(0), Importance.LOW,
                    "...and above this many calls, so quiet processes do not alert on small numbers.")
            .define(WARMUP, Type.LONG, 5L, Range.atLeast(1), Importance.LOW, "Minutes of history a process needs before its rate can spike.")
            .define(PERMISSION_WINDOW, Type.STRING, "PT1M", duration(Duration.ofMillis(1)), Importance.LOW,
                    "Window of the permission-failure burst rule.")
            .define(PERMISSION_THRESHOLD, Type.LONG, 20L, Range.atLeast(1), Importance.LOW,
                    "EACCES/EPERM failures of one process in one window that make a burst.")
            .define(MAX_GAPS, Type.INT, 1000, Range.atLeast(1), Importance.LOW,
                    "Open gaps tracked per run before the oldest are given up (counted as missing for good).")
            .define(GAP_GRACE, Type.STRING, "PT10S", duration(Duration.ZERO), Importance.LOW,
                    "How long (event time) a gap in a run's sequence may stay open before it is reported: a run's records come "
                            + "from several topics, so they arrive interleaved, not in sequence order.")
            .define(RUN_RETENTION, Type.STRING, "P1D", duration(Duration.ofMillis(1)), Importance.LOW,
                    "How long (event time) the completeness monitor keeps a run nothing was heard of: then its entry is "
                            + "deleted, so the store holds the runs of about this long, not every run ever. A later record "
                            + "of a forgotten run (a spool sent after a long outage) is tracked from itself on, not from 0.")
            .define(UNLINKS, Type.STRING, "mq-unlink-events", Importance.HIGH, "The producer's MqUnlink topic.")
            .define(NOTIFIES, Type.STRING, "mq-notify-events", Importance.HIGH, "The producer's MqNotify topic.")
            .define(SETATTRS, Type.STRING, "mq-setattr-events", Importance.HIGH, "The producer's MqSetAttr topic.")
            .define(ACCESS, Type.STRING, "mq-access-events", Importance.HIGH, "The producer's MqAccess topic.")
            .define(TRANSFERS, Type.STRING, "mq-transfer-events", Importance.HIGH, "The producer's MqTransfer topic.")
            .define(QUEUES, Type.STRING, "mq-queues", Importance.MEDIUM, "The queue table, written here (a compacted topic).")
            .define(MAX_OPENERS, Type.INT, 64, Range.atLeast(1), Importance.LOW,
                    "Distinct opening processes the queue table lists per queue (all are counted).")
            .define(UNLINKED_RETENTION, Type.STRING, "PT1H", duration(Duration.ofMillis(1)), Importance.LOW,
                    "How long (event time) the queue table keeps a queue's row after its name was removed: long enough for "
                            + "its last access windows and for anyone who asks who removed it; then the row is deleted (a "
                            + "tombstone in the queues topic).")
            .define(IDLE_RETENTION, Type.STRING, "P7D", duration(Duration.ofMillis(1)), Importance.LOW,
                    "How long (event time) the queue table keeps a queue nothing was heard of: queues die with their "
                            + "boot without an unlink, and hosts go away.")
            .define(DEDUP_WINDOW, Type.STRING, "PT10M", duration(Duration.ofMillis(1)), Importance.MEDIUM,
                    "How far apart in a host's event time a copy of a record (same machineId, runId, sequence) is still "
                            + "recognised and passed over; a copy resent later than that (a producer down longer, then sending "
                            + "its spool) counts again. The key stores keep twice this.")
            .define(QUERIES_LISTEN, Type.STRING, "127.0.0.1:9095", Importance.MEDIUM,
                    "host:port of the HTTP server for /queues and /queues/{host}/{name} (port 0 picks one; \"none\" turns it off). "
                            + "With several instances set application.server to the address the others reach this one at.");

    public StreamsSettings(Map<String, String> props) {
        super(DEFINITION, checked(props), false);
    }

    /** No unknown mqtap.* key (a typo would otherwise be ignored silently); a blank value means the default. */
    private static Map<String, String> checked(Map<String, String> props) {
        Map<String, String> m = new HashMap<>();
        props.forEach((k, v) -> {
            if (k.startsWith(PREFIX) && !DEFINITION.names().contains(k)) throw new ConfigException("unknown setting " + k);
            if (!(k.startsWith(PREFIX) && (v == null || v.isBlank()))) m.put(k, v);
        });
        return m;
    }

    public String eventsTopic() { return getString(EVENTS); }
    public String statsTopic() { return getString(STATS); }
    public String countsTopic() { return getString(COUNTS); }
    /** Corrections: calls counted per host and minute after that minute's count was published. */
    public String countsLateTopic() { return getString(COUNTS_LATE); }
    public String alertsTopic() { return getString(ALERTS); }
    public String completenessTopic() { return getString(COMPLETENESS); }

    public String unlinksTopic() { return getString(UNLINKS); }
    public String notifiesTopic() { return getString(NOTIFIES); }
    public String setattrsTopic() { return getString(SETATTRS); }
    public String accessTopic() { return getString(ACCESS); }
    public String transfersTopic() { return getString(TRANSFERS); }
    public String queuesTopic() { return getString(QUEUES); }
    /** Distinct opening processes the queue table lists per queue. */
    public int maxOpeners() { return getInt(MAX_OPENERS); }
    /** How long the queue table keeps a row after its queue's name was removed (event time). */
    public Duration unlinkedRetention() { return parseDuration(UNLINKED_RETENTION, getString(UNLINKED_RETENTION)); }
    /** How long the queue table keeps a row nothing was heard of (event time). */
    public Duration idleRetention() { return parseDuration(IDLE_RETENTION, getString(IDLE_RETENTION)); }
    /** How far apart in a host's event time a copy of a record is still recognised as one. */
    public Duration dedupWindow() { return parseDuration(DEDUP_WINDOW, getString(DEDUP_WINDOW)); }
    /** Where the queries' HTTP server listens ("host:port"), or null when it is off. */
    public String queriesListen() {
        String v = getString(QUERIES_LISTEN).trim();
        return v.equalsIgnoreCase("none") ? null : v;
    }
    /** How long the completeness monitor keeps a run nothing was heard of (event time). */
    public Duration runRetention() { return parseDuration(RUN_RETENTION, getString(RUN_RETENTION)); }
    /** How long a gap in a run's sequence may stay open (event time) before it is reported. */
    public Duration gapGrace() { return parseDuration(GAP_GRACE, getString(GAP_GRACE)); }

    /** Partitions of the internal topics that re-key events and stats by host; both get the same count. */
    public int repartitionPartitions() { return getInt(REPARTITION); }

    /** Size of the counting window (the rate rule's "minute"). */
    public Duration countsWindow() { return parseDuration(WINDOW, getString(WINDOW)); }
    /** How long a window stays open for late events after it ends. */
    public Duration grace() { return parseDuration(GRACE, getString(GRACE)); }

    /** Weight of the newest minute in the usual-rate mean (0..1]. */
    public double rateAlpha() { return getDouble(ALPHA); }
    /** A minute is a spike above {@code multiplier x usual}... */
    public double rateMultiplier() { return getDouble(MULTIPLIER); }
    /** ...and above this many calls, so quiet processes do not alert on small numbers. */
    public double rateFloor() { return getDouble(FLOOR); }
    /** Minutes of history a process needs before its rate can spike. */
    public long rateWarmupMinutes() { return getLong(WARMUP); }

    public Duration permissionWindow() { return parseDuration(PERMISSION_WINDOW, getString(PERMISSION_WINDOW)); }
    /** EACCES/EPERM failures of one process in one window that make a burst. */
    public long permissionThreshold() { return getLong(PERMISSION_THRESHOLD); }

    /** Open gaps tracked per run before the oldest are given up (counted as missing for good). */
    public int maxTrackedGaps() { return getInt(MAX_GAPS); }

    /** Everything that is not {@code mqtap.*}: Kafka Streams, client and registry settings. */
    public Properties streamsProperties() {
        Properties p = new Properties();
        originalsStrings().forEach((k, v) -> {
            if (!k.startsWith(PREFIX)) p.setProperty(k, v);
        });
        return p;
    }

    /** The settings the Avro serdes read ({@code schema.registry.*}, {@code basic.auth.*}, ...). */
    public Map<String, String> registryProperties() {
        Map<String, String> m = new HashMap<>();
        originalsStrings().forEach((k, v) -> {
            if (k.startsWith("schema.registry.") || k.startsWith("basic.auth.") || k.startsWith("auto.register")
                    || k.startsWith("use.latest") || k.endsWith("subject.name.strategy")) {
                m.put(k, v);
            }
        });
        return m;
    }

    private static Duration parseDuration(String key, String v) {
        String s = v.trim();
        try {
            return s.startsWith("P") || s.startsWith("p") ? Duration.parse(s) : Duration.ofMillis(Long.parseLong(s));
        } catch (RuntimeException e) {
            throw new ConfigException(key, v, "must be an ISO-8601 duration (PT1M) or milliseconds");
        }
    }
}
