package io.mqtap.bench.faults;

import java.util.List;
import java.util.Map;

/**
 * One row of {@code ./mqtap bench faults}: what breaks, and what the reconciliation may accept.
 *
 * @param name        the scenario's name in its line
 * @param countedLoss the scenario's point is a counted drop (kernel overflow, a full spool or disk): mqtap's own count
 *                    may be non-zero, but must still equal the calls that are missing
 * @param info        informational (a producer restart with the perf buffer: calls made while no mqtap runs are not
 *                    captured): {@code result=info}, its loss the restart's blind window in calls
 * @param body        runs the scenario
 */
public record FaultScenario(String name, boolean countedLoss, boolean info, Body body) {
    /** Copies under one dedup key are what a crash may leave (a record Kafka took whose acknowledgement was lost). */
    public boolean duplicatesAllowed() {
        return name.contains("sigkill");
    }

    /**
     * What a scenario did: per generator (its queue name; call i opened {@code <name>-<i>}) the calls it made, the
     * producer runs that took part, how long the thing broken stayed broken (measured), a note for the log, and the
     * generators none of whose calls may be missing even where a counted drop is the point (flood-fairness's victim).
     */
    public record Outcome(Map<String, Long> calls, List<String> runIds, long outageSeconds, String note, List<String> mustArrive) {
        public Outcome(Map<String, Long> calls, List<String> runIds, long outageSeconds, String note) {
            this(calls, runIds, outageSeconds, note, List.of());
        }

        public Outcome withMustArrive(List<String> names) {
            return new Outcome(calls, runIds, outageSeconds, note, names);
        }

        public long totalCalls() {
            return calls.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    @FunctionalInterface
    public interface Body {
        Outcome run(Faults f, String tag) throws Exception;
    }
}
