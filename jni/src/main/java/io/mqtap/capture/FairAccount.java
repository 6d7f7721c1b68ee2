package io.mqtap.capture;

/**
 * What per-user fairness and the kernel buffer did to one uid's calls since the probe was loaded, as the program
 * counted them: calls over the uid's budget ({@code suppressed}: counted, not emitted) and calls whose event the
 * buffer had no room for ({@code lost}), with the boot-clock times of the first and the latest of those.
 */
public record FairAccount(long uid, long suppressed, long lost, long firstBootNanos, long lastBootNanos) {
    /** Uids the program keeps accounts for (bpf/mq_open_event.h MQ_OPEN_FAIR_ACCOUNTS); more are counted unattributed. */
    public static final int CAPACITY = 4096;
    static final int SLOTS = 5;

    static FairAccount of(long[] v, int at) {
        return new FairAccount(v[at], v[at + 1], v[at + 2], v[at + 3], v[at + 4]);
    }
}
