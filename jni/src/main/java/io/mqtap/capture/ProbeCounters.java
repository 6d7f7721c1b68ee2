package io.mqtap.capture;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counters of one probe. Kernel-side ones are summed over the program's per-CPU slots. A value of -1
 * means this kernel does not report it (program misses before 5.12; kprobe link misses before 6.7
 * and outside the kprobe set).
 *
 * <p>Each lost call is counted once, at one place: {@link #lostTotal()} adds them up.
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
 * @param exitWithoutEntry mq_open exits with no stored entry that would not have been filtered (probe attached
 *                         mid-call, or the entry program was skipped): lost; see {@link #entrySkipped()}
 * @param entryDropped     mq_open entries that could not be stored: lost (their exit is not counted again)
 * @param nameChanged      calls whose name, as the call used it, differed from the one read at entry
 * @param exitMissed       mq_open entries whose exit never ran (the kernel skipped the exit program, or a
 *                         kretprobe had no free instance), found at the thread's next entry or when it exits: lost
 * @param programMisses    runs of any of the set's programs the kernel skipped ({@code recursion_misses}; e.g.
 *                         while a bpf() syscall on the same CPU had BPF disabled); -1 where the kernel does not
 *                         report them (before 5.12)
 * @param queueUnresolved  successful mq_open calls whose descriptor named no queue any more at exit (another
 *                         thread closed or reused it): recorded without the kernel's name and queue fields
 * @param fsOpens          opens of queues through an mqueue filesystem seen (before filters)
 * @param missesEnter      program misses of the mq_open entry program: lost calls (see {@link #entrySkipped()})
 * @param missesExit       program misses of the mq_open exit program (each shows up as exitMissed)
 * @param missesOpenExit   program misses of the open-exit programs: each an open the probe could not examine,
 *                         counted as lost (an upper bound: most opens on a host are not of queues)
 * @param missesTaskExit   program misses of the thread-exit program: each a thread whose missed exit, if it had
 *                         one, was not counted; counted as lost (an upper bound)
 * @param missesCreate     program misses of the queue-creation hook: a call it missed reports created=false
 * @param linkMissesEnter  kprobe misses of the mq_open entry link: lost calls (see {@link #entrySkipped()})
 * @param linkMissesExit   kretprobe misses of the mq_open exit link (each shows up as exitMissed)
 * @param linkMissesOpenExit kretprobe misses of the open-exit link: opens not examined, counted as lost
 * @param linkMissesCreate kprobe misses of the queue-creation hook
 * @param missesCalls      program misses of the programs of the calls after the open (unlink, send, receive, notify,
 *                         getsetattr): calls not recorded, counted as lost
 * @param linkMissesCalls  kprobe/kretprobe misses of those programs' links: calls not recorded, counted as lost
 * @param accessNoContext  aggregated send/receive keys whose caller snapshot found the window's snapshot map full: their
 *                         counts are kept, their records lack the caller and the queue's name
 * @param argsDropped      kprobe set: notify and getsetattr calls whose entry arguments were not kept for their exit:
 *                         not recorded, counted as lost
 * @param suppressed       events over their uid's (or cgroup's) fairness budget: counted for their uid
 *                         ({@link MqOpenProbe#fairAccounts()}), not emitted; not a loss
 * @param unattributed     suppressed or lost events the per-uid accounts had no room for (more than
 *                         {@link FairAccount#CAPACITY} uids): counted in suppressed or lostKernel, without a uid
 */
public record ProbeCounters(long lostKernel, long lostRecords, long emitted, long received, long filtered,
                            long nameReadErrors, long attrReadErrors, long exitWithoutEntry, long entryDropped,
                            long nameChanged, long exitMissed, long programMisses, long queueUnresolved, long fsOpens,
                            long missesEnter, long missesExit, long missesOpenExit, long missesTaskExit,
                            long missesCreate, long linkMissesEnter, long linkMissesExit, long linkMissesOpenExit,
                            long linkMissesCreate, long missesCalls, long linkMissesCalls, long accessNoContext,
                            long argsDropped, long suppressed, long unattributed) {
    static final int SLOTS = 29;
    static final ProbeCounters ZERO = of(new long[SLOTS]);

    /**
     * Calls the probe saw but could not deliver, each counted once: output failures, mq_open calls whose
     * entry or exit was skipped or could not be stored, and opens the open-exit hook could not examine.
     * With this, {@code received + lostTotal()} accounts for every call made while attached (plus at
     * most the calls in flight at attach and detach).
     */
    public long lostTotal() {
        return lostKernel + entrySkipped() + exitMissed + entryDropped + known(missesOpenExit)
                + known(linkMissesOpenExit) + known(missesTaskExit) + known(missesCalls) + known(linkMissesCalls) + argsDropped;
    }

    /**
     * The losses the probe counted call by call, each certainly one of its own calls: {@link #lostTotal()} without
     * the kernel's program and kprobe miss counts, which are host-wide (a skipped run of a call the filters would
     * have dropped, or of a thread exit with nothing pending, counts too). So
     * {@code received + lostAtLeast() <= calls <= received + lostTotal()}, equal where the kernel reported no misses.
     */
    public long lostAtLeast() {
        return lostKernel + exitWithoutEntry + exitMissed + entryDropped + argsDropped;
    }

    /**
     * mq_open calls whose entry never ran: the larger of the exits that found no entry and the kernel's own
     * count of skipped entry runs. The latter also covers calls whose exit was skipped as well (no program of
     * the pair ran, so nothing in the probe could count them), and it is host-wide (a skipped run of a call
     * the filters would have dropped counts too): an upper bound where the kernel reports it (6.7+ for kprobe
     * and tracepoint programs, 5.12+ for fentry), else the exits alone.
     */
    public long entrySkipped() {
        return Math.max(exitWithoutEntry, known(missesEnter) + known(linkMissesEnter));
    }

    /** Every way of loss by name, each as {@link #lostTotal()} counts it (unknown ones as 0). */
    public Map<String, Long> losses() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("output", lostKernel);
        m.put("entrySkipped", entrySkipped());
        m.put("exitMissed", exitMissed);
        m.put("entryDropped", entryDropped);
        m.put("openExitMisses", known(missesOpenExit) + known(linkMissesOpenExit));
        m.put("taskExitMisses", known(missesTaskExit));
        m.put("callMisses", known(missesCalls) + known(linkMissesCalls) + argsDropped);
        return m;
    }

    private static long known(long v) {
        return Math.max(0, v);
    }

    static ProbeCounters of(long[] v) {
        return new ProbeCounters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12],
                v[13], v[14], v[15], v[16], v[17], v[18], v[19], v[20], v[21], v[22], v[23], v[24], v[25], v[26],
                v[27], v[28]);
    }
}
