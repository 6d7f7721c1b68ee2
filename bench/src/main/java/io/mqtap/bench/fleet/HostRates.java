package io.mqtap.bench.fleet;

import java.util.SplittableRandom;

/**
 * How busy each simulated host is, drawn once per host from a fleet's shape (seeded, so runs compare): most hosts
 * idle or near one event a second, a few steady, a few bursting at 1,000+/s now and then.
 */
record HostRates(double idle, double steady, double busy, double burstPerSec, int burstSeconds, int burstEverySeconds) {
    static final HostRates FLEET = new HostRates(0.60, 0.30, 0.08, 1_000, 2, 30);

    /** Host {@code i}'s kind: 0 idle, 1 steady, 2 busy, 3 burster. */
    int kindOf(long seed, int i) {
        // SplittableRandom mixes its seed: java.util.Random's first draws for neighbouring seeds are nearly equal
        double u = new SplittableRandom(seed * 1_000_003L + i).nextDouble();
        return u < idle ? 0 : u < idle + steady ? 1 : u < idle + steady + busy ? 2 : 3;
    }

    /** The rate of host {@code i}, events per second, at {@code second} of the run. */
    double rate(long seed, int i, long second) {
        int kind = kindOf(seed, i);
        if (kind == 0) return 0.2;
        if (kind == 1) return 1;
        if (kind == 2) return 10;
        // a burster: bursts at its own phase, otherwise near idle
        long phase = Math.floorMod(second + i, burstEverySeconds);
        return phase < burstSeconds ? burstPerSec : 0.5;
    }

    /** The average rate over a long run, for the whole fleet of {@code hosts}. */
    double fleetAverage(int hosts) {
        double burster = (burstPerSec * burstSeconds + 0.5 * (burstEverySeconds - burstSeconds)) / burstEverySeconds;
        double each = idle * 0.2 + steady * 1 + busy * 10 + (1 - idle - steady - busy) * burster;
        return each * hosts;
    }
}
