package io.mqtap.bench.fleet;

import java.util.Arrays;

/** Latencies of one group of records, ms, for its quantiles (not thread-safe: the read-back's lock guards it). */
final class LatencySamples {
    private long[] millis = new long[1 << 12];
    private int count;

    void add(long ms) {
        if (count == millis.length) millis = Arrays.copyOf(millis, count * 2);
        millis[count++] = ms;
    }

    int count() {
        return count;
    }

    /** The q-quantile, ms; -1 when there are none. */
    long quantile(double q) {
        if (count == 0) return -1;
        long[] sorted = Arrays.copyOf(millis, count);
        Arrays.sort(sorted);
        return sorted[Math.min(count - 1, (int) Math.floor(q * count))];
    }
}
