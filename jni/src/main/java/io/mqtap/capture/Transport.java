package io.mqtap.capture;

/** How events travel from the kernel to the reader. */
public enum Transport {
    /** BPF_MAP_TYPE_PERF_EVENT_ARRAY: per-CPU buffers, wakeups batched by a watermark (default). */
    PERF_BUFFER,
    /** BPF_MAP_TYPE_RINGBUF (kernel 5.8+): one shared buffer, wakeups only past the watermark. */
    RING_BUFFER
}
