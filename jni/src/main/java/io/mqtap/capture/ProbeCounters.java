package io.mqtap.capture;

/**
 * Counters of one probe. Kernel-side ones are summed over the program's per-CPU slots.
 *
 * @param lostKernel       events the program could not write (perf buffer full, ring buffer reservation failed):
 *                         counted inside the program at the moment of loss, so exact and immediate
 * @param lostRecords      sum of the perf buffer's PERF_RECORD_LOST counts seen by the reader (perf only; lags
 *                         {@code lostKernel} until the next record lands after a loss)
 * @param emitted          events the program wrote
 * @param received         events drain copied out
 * @param filtered         calls dropped by a filter, including mqtap's own process
 * @param nameReadErrors   calls whose name could not be read at entry
 * @param attrReadErrors   calls whose attr pointer could not be read
 * @param exitWithoutEntry exits with no stored entry (probe attached mid-call): pairing misses
 * @param entryDropped     entries that could not be stored (pairing map full)
 * @param nameChanged      calls whose name differed between entry and exit
 * @param exitMissed       entries whose exit never ran (the kernel skipped the exit program): those calls are lost
 * @param programMisses    runs of the programs the kernel skipped ({@code recursion_misses}; e.g. while a bpf()
 *                         syscall on the same CPU had disabled BPF): each shows up as exitWithoutEntry or exitMissed
 */
public record ProbeCounters(long lostKernel, long lostRecords, long emitted, long received, long filtered,
                            long nameReadErrors, long attrReadErrors, long exitWithoutEntry, long entryDropped,
                            long nameChanged, long exitMissed, long programMisses) {
    static final int SLOTS = 12;
    static final ProbeCounters ZERO = of(new long[SLOTS]);

    /**
     * Calls the probe saw but could not deliver: output failures, exits whose entry was skipped and
     * entries whose exit was skipped. With this, {@code received + lostTotal()} accounts for every call
     * made while attached (plus at most the calls in flight at attach time).
     */
    public long lostTotal() {
        return lostKernel + exitWithoutEntry + exitMissed;
    }

    static ProbeCounters of(long[] v) {
        return new ProbeCounters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]);
    }
}
