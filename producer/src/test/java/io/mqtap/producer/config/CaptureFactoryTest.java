package io.mqtap.producer.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CaptureFactoryTest {
    @Test
    void compat32HooksReachTheProbeOptions() {
        CaptureFactory capture = new CaptureFactory();
        assertThat(capture.toOptions().compat32Hooks()).as("on by default: 32-bit callers seen in every set").isTrue();
        capture.setCompat32Hooks(false);
        assertThat(capture.toOptions().compat32Hooks()).isFalse();
    }
}
