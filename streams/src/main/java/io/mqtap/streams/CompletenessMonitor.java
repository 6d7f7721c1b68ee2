package io.mqtap.streams;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.streams.avro.CompletenessKind;
import io.mqtap.streams.avro.MqOpenCompleteness;
import io.mqtap.streams.avro.internal.LifeFact;
import io.mqtap.streams.avro.internal.RunProgress;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Which records of each producer run have arrived. Sequences are contiguous per run from 0 across every record type
 * (MqOpen and the records of the rest of a queue's life share one counter), so a jump from the highest sequence seen
 * to a higher one opens a gap; a sequence inside an open gap that arrives later closes that part of it; one seen
 * before is a duplicate. One type's records stay in order on its topic's partition, but the types come from several
 * topics, so a gap is reported ({@code GAP}) only once it has stayed open for {@code gapGrace} of event time (0: at
 * once). Each stats record of the run is reconciled with what has been seen ({@code RECONCILIATION}, every open gap
 * counted). Input: MqOpen, LifeFact (the other records) and MqOpenStats of one host, keyed by machine id.
 * A run nothing was heard of for {@code runRetention} of stream time is forgotten (its entry deleted), so the store
 * stays bounded; a record of a run the monitor does not know that is older than that is tracked from its own sequence
 * on, so a run forgotten (or a spool sent days late) does not come back as a false gap from sequence 0.
 */
final class CompletenessMonitor implements Processor<String, SpecificRecord, String, MqOpenCompleteness> {
    static final String STORE = "run-progress";

    private final int maxGaps;
    private final long gapGraceMicros;
    private final long retentionMs;
    private KeyValueStore<String, RunProgress> runs;
    private ProcessorContext<String, MqOpenCompleteness> context;

    CompletenessMonitor(int maxGaps, Duration gapGrace, Duration runRetention) {
        this.maxGaps = maxGaps;
        this.gapGraceMicros = gapGrace.toNanos() / 1000;
        this.retentionMs = runRetention.toMillis();
    }

    @Override
    public void init(ProcessorContext<String, MqOpenCompleteness> context) {
        this.context = context;
        this.runs = context.getStateStore(STORE);
        // a sweep a quarter of the retention apart, at most a minute of stream time: one pass over this task's runs
        long every = Math.max(1, Math.min(retentionMs / 4, 60_000));
        context.schedule(Duration.ofMillis(every), PunctuationType.STREAM_TIME, this::forget);
    }

    /** Deletes the runs nothing was heard of for the retention; entries from before lastSeen was kept start their clock now. */
    private void forget(long now) {
        List<String> expired = new ArrayList<>();
        List<KeyValue<String, RunProgress>> started = new ArrayList<>();
        try (KeyValueIterator<String, RunProgress> all = runs.all()) {
            while (all.hasNext()) {
                var kv = all.next();
                if (kv.value.getLastSeen() == 0) {
                    kv.value.setLastSeen(now);
                    started.add(kv);
                } else if (now - kv.value.getLastSeen() >= retentionMs) {
                    expired.add(kv.key);
                }
            }
        }
        started.forEach(kv -> runs.put(kv.key, kv.value));
        expired.forEach(runs::delete);
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        if (record.value() instanceof MqOpen e) {
            onEvent(record, e.getHostname(), e.getMachineId(), e.getRunId(), e.getSequence(), e.getTimestamp());
        } else if (record.value() instanceof LifeFact f) {
            onEvent(record, f.getHostname(), f.getMachineId(), f.getRunId(), f.getSequence(), f.getTimestamp());
        } else if (record.value() instanceof MqOpenStats s) {
            onStats(record, s);
        }
    }

    private static RunProgress fresh(String hostname) {
        return new RunProgress(hostname, 0L, 0L, 0L, new ArrayList<>(), new ArrayList<>(), 0L, new ArrayList<>(), new ArrayList<>(), 0L);
    }

    private void onEvent(Record<String, SpecificRecord> record, String hostname, String machineId, String runId, long s,
                         Instant timestamp) {
        String key = machineId + "/" + runId;
        RunProgress p = runs.get(key);
        if (p == null) {
            p = fresh(hostname);
            // a run older than the retention that the monitor does not know (forgotten, or sent days late): from here on
            if (record.timestamp() < context.currentStreamTimeMs() - retentionMs) p.setNextExpected(s);
        }
        p.setHostname(hostname);
        p.setLastSeen(Math.max(p.getLastSeen(), record.timestamp()));
        long next = p.getNextExpected();
        if (s == next) {
            p.setNextExpected(s + 1);
            p.setSeen(p.getSeen() + 1);
        } else if (s > next) {
            addGap(p, next, s - 1, EventTime.micros(timestamp));
            p.setNextExpected(s + 1);
            p.setSeen(p.getSeen() + 1);
        } else if (fillGap(p, s)) {
            p.setSeen(p.getSeen() + 1);
        } else {
            p.setDuplicates(p.getDuplicates() + 1);
        }
        reportDueGaps(record, p, hostname, machineId, runId, timestamp);
        trim(record, p, hostname, machineId, runId, timestamp);
        runs.put(key, p);
    }

    /** Gives up the oldest gaps beyond maxGaps: their records are counted as missing for good (reported first). */
    private void trim(Record<String, SpecificRecord> record, RunProgress p, String hostname, String machineId, String runId,
                      Instant now) {
        while (p.getGapStarts().size() > maxGaps) {
            long from = p.getGapStarts().get(0), to = p.getGapEnds().get(0);
            if (!p.getGapReported().get(0)) {
                context.forward(record.withKey(machineId).withValue(
                        report(CompletenessKind.GAP, hostname, machineId, runId, now, p)
                                .setFromSequence(from).setToSequence(to).setMissing(to - from + 1).setComplete(false).build()));
            }
            p.setGapsDropped(p.getGapsDropped() + to - from + 1);
            p.getGapStarts().remove(0);
            p.getGapEnds().remove(0);
            p.getGapOpenedAt().remove(0);
            p.getGapReported().remove(0);
        }
    }

    /** GAP reports for the gaps open for gapGrace of event time (and not reported yet). */
    private void reportDueGaps(Record<String, SpecificRecord> record, RunProgress p, String hostname, String machineId,
                               String runId, Instant now) {
        long at = EventTime.micros(now);
        for (int i = 0; i < p.getGapStarts().size(); i++) {
            if (p.getGapReported().get(i) || at - p.getGapOpenedAt().get(i) < gapGraceMicros) continue;
            long from = p.getGapStarts().get(i), to = p.getGapEnds().get(i);
            p.getGapReported().set(i, true);
            context.forward(record.withKey(machineId).withValue(
                    report(CompletenessKind.GAP, hostname, machineId, runId, now, p)
                            .setFromSequence(from).setToSequence(to).setMissing(to - from + 1).setComplete(false).build()));
        }
    }

    private void onStats(Record<String, SpecificRecord> record, MqOpenStats st) {
        String key = st.getMachineId() + "/" + st.getRunId();
        RunProgress p = runs.get(key);
        if (p == null) {
            p = fresh(st.getHostname());
        }
        p.setLastSeen(Math.max(p.getLastSeen(), record.timestamp()));
        normalize(p);
        reportDueGaps(record, p, st.getHostname(), st.getMachineId(), st.getRunId(), st.getTimestamp());
        runs.put(key, p);
        long missing = missing(p);
        long highest = p.getNextExpected() - 1;
        Map<String, Long> kernelLosses = kernelLosses(st);
        boolean noKernelLoss = st.getLostKernel() == 0
                && (kernelLosses == null || kernelLosses.values().stream().allMatch(v -> v == 0));
        boolean complete = missing == 0 && noKernelLoss && st.getDropped() == 0 && st.getFailed() == 0
                && p.getSeen() >= st.getPublished();
        context.forward(record.withKey(st.getMachineId()).withValue(
                report(CompletenessKind.RECONCILIATION, st.getHostname(), st.getMachineId(), st.getRunId(),
                        st.getTimestamp(), p)
                        .setMissing(missing)
                        .setProducerSequence(st.getSequence())
                        .setNotYetSeen(Math.max(0, st.getSequence() - highest))
                        .setPublished(st.getPublished())
                        .setLostKernel(st.getLostKernel())
                        .setDropped(st.getDropped())
                        .setFailed(st.getFailed())
                        .setKernelLosses(kernelLosses)
                        .setComplete(complete)
                        .build()));
    }

    /** Each way of kernel-side loss the stats record names, or null for records from producers before version 2. */
    static Map<String, Long> kernelLosses(MqOpenStats st) {
        if (st.getLostOutput() == null) return null;
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("output", st.getLostOutput());
        m.put("entryDropped", orZero(st.getLostEntryDropped()));
        m.put("entrySkipped", orZero(st.getLostEntrySkipped()));
        m.put("exitMissed", orZero(st.getLostExitMissed()));
        m.put("unexamined", orZero(st.getLostUnexamined()));
        // the calls after the open the probe could not record (before version 7 only in lostKernel)
        m.put("callMisses", orZero(st.getLostCallMisses()));
        m.put("unreadable", orZero(st.getLostUnreadable()));
        return m;
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }

    private static MqOpenCompleteness.Builder report(CompletenessKind kind, String hostname, String machineId,
                                                     String runId, Instant timestamp, RunProgress p) {
        return MqOpenCompleteness.newBuilder()
                .setKind(kind)
                .setHostname(hostname)
                .setMachineId(machineId)
                .setRunId(runId)
                .setTimestamp(timestamp)
                .setSeen(p.getSeen())
                .setHighestSeen(p.getNextExpected() - 1)
                .setDuplicates(p.getDuplicates());
    }

    static long missing(RunProgress p) {
        long n = p.getGapsDropped();
        for (int i = 0; i < p.getGapStarts().size(); i++) {
            n += p.getGapEnds().get(i) - p.getGapStarts().get(i) + 1;
        }
        return n;
    }

    private void addGap(RunProgress p, long from, long to, long openedAtMicros) {
        normalize(p);
        p.getGapStarts().add(from);
        p.getGapEnds().add(to);
        p.getGapOpenedAt().add(openedAtMicros);
        p.getGapReported().add(false);
    }

    /** State written before the gaps had times: each open gap counts as opened long ago and reported. */
    private static void normalize(RunProgress p) {
        while (p.getGapOpenedAt().size() < p.getGapStarts().size()) p.getGapOpenedAt().add(Long.MIN_VALUE / 2);
        while (p.getGapReported().size() < p.getGapStarts().size()) p.getGapReported().add(true);
    }

    /** Removes {@code s} from the open gap holding it; false when no open gap holds it (a duplicate). */
    private static boolean fillGap(RunProgress p, long s) {
        normalize(p);
        var starts = p.getGapStarts();
        var ends = p.getGapEnds();
        var opened = p.getGapOpenedAt();
        var reported = p.getGapReported();
        for (int i = 0; i < starts.size(); i++) {
            long a = starts.get(i);
            long b = ends.get(i);
            if (s < a || s > b) {
                continue;
            }
            if (a == b) {
                starts.remove(i);
                ends.remove(i);
                opened.remove(i);
                reported.remove(i);
            } else if (s == a) {
                starts.set(i, a + 1);
            } else if (s == b) {
                ends.set(i, b - 1);
            } else {
                // the two parts keep when the gap opened and whether it was reported
                ends.set(i, s - 1);
                starts.add(i + 1, s + 1);
                ends.add(i + 1, b);
                opened.add(i + 1, opened.get(i));
                reported.add(i + 1, reported.get(i));
            }
            return true;
        }
        return false;
    }
}
