package io.mqtap.bench.pipeline;

import io.mqtap.bench.LatencySamples;

/**
 * Kernel-to-append latency of the events a run made after its warm-up, from the records as Kafka holds them: each
 * record's LogAppendTime (the broker's clock at the leader's append, ms) less the event's kernel timestamp (the
 * MqOpen {@code timestamp}, epoch µs on the same host's wall clock). Not from mqtap's own counters, and free of the
 * producer's cold first seconds, which its 60 s histogram holds.
 */
final class SteadyLatency {
    /** Events made before this (epoch µs) are the warm-up's. */
    private final long windowFromMicros;
    private final LatencySamples window = new LatencySamples();
    private long warmup;
    private long notInKafka;

    SteadyLatency(long windowFromMicros) {
        this.windowFromMicros = windowFromMicros;
    }

    /** One record read back: chosen by when the event was made, so one made in the window counts however late it was appended. */
    void add(long kernelMicros, long appendMillis) {
        if (kernelMicros < windowFromMicros) {
            warmup++;
            return;
        }
        // both clocks to the ms, the append time's resolution: floorDiv keeps a same-ms append at 0, not -1
        window.add(appendMillis - Math.floorDiv(kernelMicros, 1000L));
    }

    /** Records of events made in the window. */
    int records() {
        return window.count();
    }

    /** Records of events made in the warm-up, left out. */
    long warmupRecords() {
        return warmup;
    }

    /** Records the producer had not yet delivered when the read-back gave up on them: their latency is not known. */
    void notInKafka(long records) {
        notInKafka = records;
    }

    long notInKafka() {
        return notInKafka;
    }

    /** The figures hold the whole run: some records made in the window and none still on their way. */
    boolean complete() {
        return records() > 0 && notInKafka == 0;
    }

    /** The q-quantile, ms; -1 when the window holds no record. */
    long quantileMs(double q) {
        return window.quantile(q);
    }

    long maxMs() {
        return window.max();
    }
}
