package io.mqtap.capture;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's run statistics of a probe's programs, summed by role: how many runs and how many
 * nanoseconds inside the programs (counted only while run-time stats are on).
 *
 * @param runs  by role: enter, exit (mq_open), openExit, taskExit, create, calls (unlink, send, receive, notify, getsetattr)
 * @param nanos the same roles' total run time
 */
public record ProgramStats(Map<String, Long> runs, Map<String, Long> nanos) {
    /** The roles, in the order libmqtap reports them. */
    public static final List<String> ROLES = List.of("enter", "exit", "openExit", "taskExit", "create", "calls");

    /** Mean nanoseconds per run of one role, 0 when it did not run. */
    public double nanosPerRun(String role) {
        long n = runs.getOrDefault(role, 0L);
        return n == 0 ? 0 : (double) nanos.getOrDefault(role, 0L) / n;
    }

    /** What happened between {@code earlier} and this. */
    public ProgramStats minus(ProgramStats earlier) {
        Map<String, Long> r = new LinkedHashMap<>(), t = new LinkedHashMap<>();
        for (String role : ROLES) {
            r.put(role, runs.get(role) - earlier.runs.get(role));
            t.put(role, nanos.get(role) - earlier.nanos.get(role));
        }
        return new ProgramStats(r, t);
    }

    static ProgramStats of(long[] v) {
        Map<String, Long> r = new LinkedHashMap<>(), t = new LinkedHashMap<>();
        for (int i = 0; i < ROLES.size(); i++) {
            r.put(ROLES.get(i), v[2 * i]);
            t.put(ROLES.get(i), v[2 * i + 1]);
        }
        return new ProgramStats(r, t);
    }
}
