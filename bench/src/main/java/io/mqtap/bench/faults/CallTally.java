package io.mqtap.bench.faults;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Records read back, matched to the generators' tagged calls: each dedup key (machineId, runId, sequence) counts once,
 * each call ({@code <generator name>-<i>}, i below the calls that generator made) is found or missing.
 */
final class CallTally {
    private final Map<String, Long> calls;
    private final Map<String, BitSet> found = new HashMap<>(); // generator name -> call numbers found
    private final Map<String, BitSet> keys = new HashMap<>(); // machineId/runId -> sequences seen
    private long records;
    private long copies;
    private long rereads;
    private long unknown;

    CallTally(Map<String, Long> calls) {
        this.calls = calls;
    }

    /** One record read back: its dedup key and the queue name its call opened. */
    void add(String machineId, String runId, long sequence, String queueName) {
        String name = queueName == null ? "" : queueName.startsWith("/") ? queueName.substring(1) : queueName;
        int dash = name.lastIndexOf('-');
        Long made = dash < 0 ? null : calls.get(name.substring(0, dash));
        long call = made == null ? -1 : callNumber(name.substring(dash + 1), made);
        if (call < 0) {
            unknown++; // not one of these calls
            return;
        }
        records++;
        BitSet seqs = keys.computeIfAbsent(machineId + "/" + runId, k -> new BitSet());
        if (seqs.get(Math.toIntExact(sequence))) {
            copies++;
            return;
        }
        seqs.set(Math.toIntExact(sequence));
        BitSet f = found.computeIfAbsent(name.substring(0, dash), k -> new BitSet());
        if (f.get((int) call)) rereads++; // the same call under a second dedup key: read twice from the kernel
        f.set((int) call);
    }

    private static long callNumber(String tail, long made) {
        try {
            long i = Long.parseLong(tail);
            return i >= 0 && i < made ? i : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Records of these calls, copies included. */
    long records() {
        return records;
    }

    /** Records whose dedup key was seen before. */
    long copies() {
        return copies;
    }

    /** Calls found under more than one dedup key. */
    long rereads() {
        return rereads;
    }

    /** Records that are none of these calls. */
    long unknown() {
        return unknown;
    }

    /** Calls of {@code generator} found. */
    long found(String generator) {
        BitSet f = found.get(generator);
        return f == null ? 0 : f.cardinality();
    }

    /** Calls found, over every generator. */
    long unique() {
        return calls.keySet().stream().mapToLong(this::found).sum();
    }

    /** Runs of consecutive missing call numbers, over every generator (a restart's blind window is one). */
    long missingRanges() {
        long ranges = 0;
        for (Map.Entry<String, Long> g : calls.entrySet()) {
            BitSet f = found.getOrDefault(g.getKey(), new BitSet());
            long made = g.getValue();
            for (int i = f.nextClearBit(0); i < made; ) {
                ranges++;
                int next = f.nextSetBit(i);
                if (next < 0 || next >= made) break;
                i = f.nextClearBit(next);
            }
        }
        return ranges;
    }
}
