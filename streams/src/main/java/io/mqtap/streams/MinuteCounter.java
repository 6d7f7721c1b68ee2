package io.mqtap.streams;

import io.mqtap.avro.MqOpen;
import io.mqtap.streams.avro.MqOpenCounts;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per host and window of event time, the host's calls folded into an {@link MqOpenCounts}, published once when the
 * window closes: when this task's stream time (the latest event time it counted) passes the window's end plus the
 * grace. A call whose window had closed when it arrived (a host's records held up longer than the grace: a failover
 * the group caught up from unevenly, a spool sent late) is not dropped: it is counted per host and window apart, and
 * those corrections are published every {@link #LATE_FLUSH} of wall-clock time on the late topic, to be added to the
 * window's published count; the {@code late-records} metric counts them. So every call this step sees is in exactly
 * one published record. Stream time lives in a store beside the counts, so a task restored after a crash or moved to
 * another instance resumes it (with exactly-once, consistent with the counts and what was published).
 * Input keyed by machine id (one host per key, its records in the task that holds its partition).
 */
final class MinuteCounter implements Processor<String, MqOpen, String, MinuteCounter.Output> {
    private static final Logger LOG = LoggerFactory.getLogger(MinuteCounter.class);
    /** Open windows' counts and pending late corrections, keyed so a scan meets them in window order. */
    static final String STORE = "host-minutes";
    /** The task's stream time. */
    static final String CLOCK_STORE = "host-minutes-stream-time";
    /** How often (wall clock) late corrections are published: soon after they arrive, whatever event time does. */
    static final Duration LATE_FLUSH = Duration.ofSeconds(5);
    static final String METRIC_SCOPE = "mqtap-minute-counts", LATE_RECORDS = "late-records";
    private static final String OPEN = "open/", LATE = "late/", CLOCK = "stream-time";
    private static final StringSerializer KEYS = new StringSerializer();

    /** A window's final count, or a correction: calls of a window that had closed before they came. */
    record Output(MqOpenCounts counts, boolean late) {}

    private final long size;
    private final long grace;
    private ProcessorContext<String, Output> context;
    private KeyValueStore<String, MqOpenCounts> windows;
    private KeyValueStore<String, Long> clock;
    private long streamTime;
    private Sensor lateRecords;

    MinuteCounter(Duration window, Duration grace) {
        this.size = window.toMillis();
        this.grace = grace.toMillis();
    }

    @Override
    public void init(ProcessorContext<String, Output> context) {
        this.context = context;
        this.windows = context.getStateStore(STORE);
        this.clock = context.getStateStore(CLOCK_STORE);
        Long t = clock.get(CLOCK);
        streamTime = t == null ? Long.MIN_VALUE : t;
        lateRecords = context.metrics().addRateTotalSensor(METRIC_SCOPE, context.taskId().toString(), LATE_RECORDS,
                Sensor.RecordingLevel.INFO);
        context.schedule(LATE_FLUSH, PunctuationType.WALL_CLOCK_TIME, now -> publishLate());
    }

    @Override
    public void process(Record<String, MqOpen> record) {
        long t = record.timestamp();
        boolean advanced = t > streamTime;
        if (advanced) streamTime = t;
        long start = t - Math.floorMod(t, size);
        boolean late = closed(start);
        String key = (late ? LATE : OPEN) + window(start) + record.key();
        MqOpenCounts c = windows.get(key);
        if (c == null) {
            c = MinuteCounts.empty();
            c.setWindowStart(Instant.ofEpochMilli(start));
            c.setWindowEnd(Instant.ofEpochMilli(start + size));
        }
        windows.put(key, MinuteCounts.add(record.value(), c));
        if (late) {
            lateRecords.record();
        } else if (advanced) {
            publishClosed();
        }
    }

    /** A window is closed (its count published, or due) once stream time has passed its end plus the grace. */
    private boolean closed(long start) {
        return start + size + grace <= streamTime;
    }

    /**
     * Publishes the windows stream time has closed, oldest first, and forgets them; keeps the stream time that closed
     * them, so that after a restore a late call of one is still seen as late (a stream time kept only here may be
     * behind the one before the crash, which only delays closing windows that were not yet published).
     */
    private void publishClosed() {
        List<String> done = new ArrayList<>();
        try (KeyValueIterator<String, MqOpenCounts> it = windows.prefixScan(OPEN, KEYS)) {
            while (it.hasNext()) {
                KeyValue<String, MqOpenCounts> kv = it.next();
                if (!closed(startOf(kv.key, OPEN))) break;
                done.add(kv.key);
                forward(kv, false);
            }
        }
        done.forEach(windows::delete);
        if (!done.isEmpty()) clock.put(CLOCK, streamTime);
    }

    /** Publishes the late corrections counted since the last time, and forgets them. */
    private void publishLate() {
        List<String> done = new ArrayList<>();
        long calls = 0;
        try (KeyValueIterator<String, MqOpenCounts> it = windows.prefixScan(LATE, KEYS)) {
            while (it.hasNext()) {
                KeyValue<String, MqOpenCounts> kv = it.next();
                done.add(kv.key);
                calls += kv.value.getTotal();
                forward(kv, true);
            }
        }
        done.forEach(windows::delete);
        if (calls > 0) {
            LOG.warn("{} calls of {} host-minutes came after their minute had closed (stream time {}, grace {} ms): published as "
                    + "corrections on the late counts topic", calls, done.size(), Instant.ofEpochMilli(streamTime), grace);
        }
    }

    private void forward(KeyValue<String, MqOpenCounts> kv, boolean late) {
        MqOpenCounts c = kv.value;
        context.forward(new Record<>(c.getMachineId(), new Output(c, late), c.getWindowEnd().toEpochMilli()));
    }

    /** Window starts as fixed-width digits: the store's byte order is then window order (event times are after 1970). */
    private static String window(long start) {
        return String.format("%019d/", Math.max(0, start));
    }

    private static long startOf(String key, String prefix) {
        return Long.parseLong(key.substring(prefix.length(), prefix.length() + 19));
    }

    @Override
    public void close() {
        if (lateRecords != null) context.metrics().removeSensor(lateRecords);
    }
}
