package io.mqtap.bench;

import java.util.Arrays;

/** Latencies of one group of records, ms, for their quantiles (not thread-safe: a caller shared across threads guards it). */
public final class LatencySamples {
    private long[] millis = new long[1 << 12];
    private int count;

    public void add(long ms) {
        if (count == millis.length) millis = Arrays.copyOf(millis, count * 2);
        millis[count++] = ms;
    }

    public int count() {
        return count;
    }

    /** The q-quantile, ms; -1 when there are none. */
    public long quantile(double q) {
        return quantile(millis, count, q);
    }

    /** The largest, ms; -1 when there are none. */
    public long max() {
        return quantile(1.0);
    }

    /**
     * The q-quantile of the first n values (nearest rank: the smallest value with at least q of them at or below it,
     * so the p99 of 1..100 is 99, not the largest); -1 when n is 0.
     */
    public static long quantile(long[] values, int n, double q) {
        if (n == 0) return -1;
        long[] sorted = Arrays.copyOf(values, n);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * n - 1e-9); // 1-based; the epsilon keeps 0.07 * 100 (7.000000000000001 in doubles) at rank 7
        return sorted[Math.max(0, Math.min(n, rank) - 1)];
    }
}
