package io.mqtap.streams;

import io.mqtap.avro.MqOpen;
import io.mqtap.streams.avro.MqOpenCounts;
import java.time.Instant;
import java.util.HashMap;

/** Folding one host's events of one window into an {@link MqOpenCounts}. */
final class MinuteCounts {
    static final String SUCCESS = "success";

    private MinuteCounts() {}

    static MqOpenCounts empty() {
        return MqOpenCounts.newBuilder()
                .setHostname("")
                .setMachineId("")
                .setWindowStart(Instant.EPOCH)
                .setWindowEnd(Instant.EPOCH)
                .setTotal(0)
                .setCreated(0)
                .setByOutcome(new HashMap<>())
                .setByProcess(new HashMap<>())
                .build();
    }

    static MqOpenCounts add(MqOpen e, MqOpenCounts c) {
        c.setHostname(e.getHostname());
        c.setMachineId(e.getMachineId());
        c.setTotal(c.getTotal() + 1);
        if ((e.getOflag() & EventRules.O_CREAT) != 0) {
            c.setCreated(c.getCreated() + 1);
        }
        c.getByOutcome().merge(outcome(e), 1L, Long::sum);
        c.getByProcess().merge(e.getComm(), 1L, Long::sum);
        return c;
    }

    /** "success", or the errno name ("E<n>" when the producer had no name for it). */
    static String outcome(MqOpen e) {
        if (e.getReturnValue() >= 0) {
            return SUCCESS;
        }
        return e.getErrno() != null ? e.getErrno() : "E" + (-e.getReturnValue());
    }
}
