package io.mqtap.streams;

import io.mqtap.records.Printable;
import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenAlertSeverity;
import io.mqtap.streams.avro.MqOpenAlertType;
import io.mqtap.streams.avro.MqOpenCounts;
import io.mqtap.streams.avro.internal.RateBaseline;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A process calling mq_open far above its usual rate on one host. For each closed minute of a host
 * ({@link MqOpenCounts}) and each process in it: usual = the exponentially weighted mean (weight
 * {@code alpha} for the newest minute) of the process's earlier per-minute counts on that host, minutes
 * without calls counted as 0; the minute is a spike when, after {@code warmup} minutes of history,
 * {@code count > max(floor, multiplier x usual)}. The minute is then folded into the mean.
 */
final class RateSpikeRule implements Processor<String, MqOpenCounts, String, MqOpenAlert> {
    static final String STORE = "rate-baselines";

    private final double alpha;
    private final double multiplier;
    private final double floor;
    private final long warmupMinutes;
    private final long windowMs;
    private KeyValueStore<String, RateBaseline> baselines;
    private ProcessorContext<String, MqOpenAlert> context;

    RateSpikeRule(StreamsSettings s) {
        this.alpha = s.rateAlpha();
        this.multiplier = s.rateMultiplier();
        this.floor = s.rateFloor();
        this.warmupMinutes = s.rateWarmupMinutes();
        this.windowMs = s.countsWindow().toMillis();
    }

    @Override
    public void init(ProcessorContext<String, MqOpenAlert> context) {
        this.context = context;
        this.baselines = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, MqOpenCounts> record) {
        MqOpenCounts c = record.value();
        long windowStart = c.getWindowStart().toEpochMilli();
        for (Map.Entry<String, Long> e : c.getByProcess().entrySet()) {
            String key = c.getMachineId() + "|" + e.getKey();
            long count = e.getValue();
            RateBaseline b = baselines.get(key);
            if (b == null) {
                baselines.put(key, new RateBaseline((double) count, 1L, windowStart));
                continue;
            }
            if (windowStart <= b.getLastWindowStart()) {
                continue; // a minute already folded in (replay) or older
            }
            long quietMinutes = (windowStart - b.getLastWindowStart()) / windowMs - 1;
            double usual = b.getEwma() * Math.pow(1 - alpha, Math.max(0, quietMinutes));
            long minutes = b.getMinutes() + Math.max(0, quietMinutes);
            double threshold = Math.max(floor, multiplier * usual);
            if (minutes >= warmupMinutes && count > threshold) {
                context.forward(record.withValue(alert(c, e.getKey(), count, usual, threshold)));
            }
            baselines.put(key, new RateBaseline(alpha * count + (1 - alpha) * usual, minutes + 1, windowStart));
        }
    }

    private static MqOpenAlert alert(MqOpenCounts c, String comm, long count, double usual, double threshold) {
        return MqOpenAlert.newBuilder()
                .setType(MqOpenAlertType.RATE_SPIKE)
                .setSeverity(MqOpenAlertSeverity.WARNING)
                .setHostname(c.getHostname())
                .setMachineId(c.getMachineId())
                .setComm(comm)
                .setTimestamp(c.getWindowEnd())
                .setMessage(String.format("%s: %s made %d mq_open calls in the minute from %s, usually %.1f (threshold %.1f)",
                        Printable.escape(c.getHostname()), Printable.escape(comm), count, c.getWindowStart(), usual, threshold))
                .setWindowStart(c.getWindowStart())
                .setWindowEnd(c.getWindowEnd())
                .setObserved(count)
                .setThreshold(threshold)
                .setBaseline(usual)
                .build();
    }
}
