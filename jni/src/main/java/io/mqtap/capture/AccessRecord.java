package io.mqtap.capture;

import java.util.Map;

/**
 * What one process did with one queue in one aggregation window, one call (send or receive): the kernel's counts
 * of every thread of the process and every result, merged.
 *
 * @param send           send (true) or receive
 * @param pid            the process (tgid); with {@code processStartNs} one process across pid reuse
 * @param queueInode     the queue's inode, 0 for calls on descriptors that named no queue (EBADF)
 * @param calls          calls made; {@code errors} by errno those that failed (calls - their sum succeeded)
 * @param bytes          bytes of the successful calls (sent lengths, received sizes)
 * @param minSize        smallest and {@code maxSize} largest message of the successful calls; null when none succeeded
 * @param firstNs        boot time of the first and {@code lastNs} of the last call in the window
 * @param unlinked       calls made while the queue's name had been removed (a descriptor kept past mq_unlink)
 * @param timeouts       calls that gave a timeout
 * @param threads        distinct threads that made them
 * @param context        the first such call as a per-call event would carry it (caller, queue with its kernel name),
 *                       or null when the window's snapshot map was full (counted: ProbeCounters.accessNoContext)
 */
public record AccessRecord(boolean send, long pid, long processStartNs, long queueInode, long calls, Map<Integer, Long> errors,
                           long bytes, Long minSize, Long maxSize, long firstNs, long lastNs, long unlinked, long timeouts,
                           int threads, MqTransferEvent context) {

    /** Calls that succeeded. */
    public long successes() {
        return calls - errors.values().stream().mapToLong(Long::longValue).sum();
    }
}
