package io.mqtap.capture;

import java.nio.ByteBuffer;

/**
 * One entry of a window's aggregation map as libmqtap copies it out: {@code struct mq_access_key} then
 * {@code struct mq_access_value} of bpf/mq_open_event.h, in the machine's byte order (a test checks the layout).
 * One thread, one queue, one call, one result.
 */
record AccessEntry(long processStartNs, long queueInode, long pid, long tid, int errno, boolean send, long calls, long bytes,
                   long minSize, long maxSize, long firstNs, long lastNs, long unlinked, long timeouts) {
    static final int SIZE = 96;
    // key
    static final int PROCESS_START_NS = 0, QUEUE_INO = 8, PID = 16, TID = 20, ERR = 24, CALL = 28;
    // value, after the 32-byte key
    static final int CALLS = 32, BYTES = 40, MIN_SIZE = 48, MAX_SIZE = 56, FIRST_NS = 64, LAST_NS = 72, UNLINKED = 80,
            TIMEOUTS = 88;

    static AccessEntry decode(ByteBuffer b, int at) {
        return new AccessEntry(b.getLong(at + PROCESS_START_NS), b.getLong(at + QUEUE_INO), b.getInt(at + PID) & 0xFFFF_FFFFL,
                b.getInt(at + TID) & 0xFFFF_FFFFL, b.getInt(at + ERR), b.get(at + CALL) == 0, b.getLong(at + CALLS),
                b.getLong(at + BYTES), b.getLong(at + MIN_SIZE), b.getLong(at + MAX_SIZE), b.getLong(at + FIRST_NS),
                b.getLong(at + LAST_NS), b.getLong(at + UNLINKED), b.getLong(at + TIMEOUTS));
    }
}
