package io.mqtap.streams;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.streams.avro.CompletenessKind;
import io.mqtap.streams.avro.MqOpenCompleteness;
import io.mqtap.streams.avro.internal.RunProgress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Which records of each producer run have arrived. Sequences are contiguous per run from 0, and one host's
 * records stay in order on one partition, so a jump from the highest sequence seen to a higher one is a gap
 * (reported at once, {@code GAP}); a sequence inside an open gap that arrives later closes that part of the
 * gap; one seen before is a duplicate. Each stats record of the run is reconciled with what has been seen
 * ({@code RECONCILIATION}). Input: MqOpen and MqOpenStats of one host, keyed by machine id.
 */
final class CompletenessMonitor implements Processor<String, SpecificRecord, String, MqOpenCompleteness> {
    static final String STORE = "run-progress";

    private final int maxGaps;
    private KeyValueStore<String, RunProgress> runs;
    private ProcessorContext<String, MqOpenCompleteness> context;

    CompletenessMonitor(int maxGaps) {
        this.maxGaps = maxGaps;
    }

    @Override
    public void init(ProcessorContext<String, MqOpenCompleteness> context) {
        this.context = context;
        this.runs = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        if (record.value() instanceof MqOpen e) {
            onEvent(record, e);
        } else if (record.value() instanceof MqOpenStats s) {
            onStats(record, s);
        }
    }

    private void onEvent(Record<String, SpecificRecord> record, MqOpen e) {
        String key = e.getMachineId() + "/" + e.getRunId();
        RunProgress p = runs.get(key);
        if (p == null) {
            p = new RunProgress(e.getHostname(), 0L, 0L, 0L, new ArrayList<>(), new ArrayList<>(), 0L);
        }
        p.setHostname(e.getHostname());
        long s = e.getSequence();
        long next = p.getNextExpected();
        if (s == next) {
            p.setNextExpected(s + 1);
            p.setSeen(p.getSeen() + 1);
        } else if (s > next) {
            addGap(p, next, s - 1);
            p.setNextExpected(s + 1);
            p.setSeen(p.getSeen() + 1);
            context.forward(record.withKey(e.getMachineId()).withValue(
                    report(CompletenessKind.GAP, e.getHostname(), e.getMachineId(), e.getRunId(), e.getTimestamp(), p)
                            .setFromSequence(next).setToSequence(s - 1).setMissing(s - next).setComplete(false)
                            .build()));
        } else if (fillGap(p, s)) {
            p.setSeen(p.getSeen() + 1);
        } else {
            p.setDuplicates(p.getDuplicates() + 1);
        }
        runs.put(key, p);
    }

    private void onStats(Record<String, SpecificRecord> record, MqOpenStats st) {
        String key = st.getMachineId() + "/" + st.getRunId();
        RunProgress p = runs.get(key);
        if (p == null) {
            p = new RunProgress(st.getHostname(), 0L, 0L, 0L, new ArrayList<>(), new ArrayList<>(), 0L);
        }
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

    private void addGap(RunProgress p, long from, long to) {
        p.getGapStarts().add(from);
        p.getGapEnds().add(to);
        while (p.getGapStarts().size() > maxGaps) {
            // the oldest gap is given up on: its records are counted as missing for good
            p.setGapsDropped(p.getGapsDropped() + p.getGapEnds().get(0) - p.getGapStarts().get(0) + 1);
            p.getGapStarts().remove(0);
            p.getGapEnds().remove(0);
        }
    }

    /** Removes {@code s} from the open gap holding it; false when no open gap holds it (a duplicate). */
    private static boolean fillGap(RunProgress p, long s) {
        var starts = p.getGapStarts();
        var ends = p.getGapEnds();
        for (int i = 0; i < starts.size(); i++) {
            long a = starts.get(i);
            long b = ends.get(i);
            if (s < a || s > b) {
                continue;
            }
            if (a == b) {
                starts.remove(i);
                ends.remove(i);
            } else if (s == a) {
                starts.set(i, a + 1);
            } else if (s == b) {
                ends.set(i, b - 1);
            } else {
                ends.set(i, s - 1);
                starts.add(i + 1, s + 1);
                ends.add(i + 1, b);
            }
            return true;
        }
        return false;
    }
}
