package io.mqtap.producer.pipeline;

import io.mqtap.avro.PreviousRun;
import io.mqtap.capture.PinReport;
import io.mqtap.producer.spool.DiskSpool;
import io.mqtap.producer.spool.RunMarker;
import java.time.Instant;

/** How the previous run ended, from its run marker and the spool's last record, as this run's stats records say it. */
final class PreviousRuns {
    private PreviousRuns() {}

    /**
     * Null when the spool directory holds no trace of an earlier run. attachMicros: this run's attach, epoch µs;
     * pin: how the pinned probe took over (null: not pinned).
     */
    static PreviousRun of(RunMarker marker, DiskSpool.Recovered spool, long attachMicros, PinReport pin) {
        if (marker == null && spool.lastRunId() == null) return null;
        String runId = marker != null ? marker.runId() : spool.lastRunId();
        boolean clean = marker != null && marker.clean();
        long lastSequence = -1;
        Long lastEvent = null;
        if (clean) {
            lastSequence = marker.lastSequence();
            if (marker.lastEventMicros() > 0) lastEvent = marker.lastEventMicros();
        } else if (runId.equals(spool.lastRunId())) {
            // after a crash the spool's last record is exact: every record was appended before it was sent
            lastSequence = spool.lastSequence();
            lastEvent = spool.lastTimestampMicros();
        }
        Long detached = clean && marker.detachedMicros() > 0 ? marker.detachedMicros() : null;
        // the previous run's programs kept capturing until this run took them over: no blind window, clean or not
        boolean covered = pin != null && pin.gapCovered();
        return PreviousRun.newBuilder()
                .setRunId(runId)
                .setClean(clean)
                .setLastSequence(lastSequence)
                .setLastEventTime(lastEvent == null ? null : micros(lastEvent))
                .setDetachedAt(detached == null ? null : micros(detached))
                .setSinceLastEventMs(lastEvent == null ? null : (attachMicros - lastEvent) / 1000)
                .setBlindWindowMs(covered ? Long.valueOf(0) : detached == null ? null : (attachMicros - detached) / 1000)
                .setGapCaptured(covered)
                .build();
    }

    private static Instant micros(long epochMicros) {
        return Instant.ofEpochSecond(Math.floorDiv(epochMicros, 1_000_000L), Math.floorMod(epochMicros, 1_000_000L) * 1000L);
    }
}
