package io.mqtap.capture;

import java.util.List;

/**
 * One aggregation window of send and receive, read out of the kernel: a record per process, queue and call, and
 * what found the window's map full (overflow: counted per call, without process or queue).
 *
 * @param startBootNs when the window began (the previous flush, or the attach), ns since boot
 * @param endBootNs   when it was closed
 */
public record AccessWindow(long startBootNs, long endBootNs, List<AccessRecord> records, Overflow send, Overflow receive) {

    /** Calls of one kind that could not be kept per key: counted, never dropped. */
    public record Overflow(long calls, long bytes, long errors, long unlinked) {
        public static final Overflow NONE = new Overflow(0, 0, 0, 0);

        public boolean any() {
            return calls > 0;
        }
    }

    /** Every call the window counted, overflow included. */
    public long calls() {
        return records.stream().mapToLong(AccessRecord::calls).sum() + send.calls + receive.calls;
    }
}
