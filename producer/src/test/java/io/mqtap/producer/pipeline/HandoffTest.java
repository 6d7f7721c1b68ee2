package io.mqtap.producer.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.mqtap.avro.MqOpen;
import io.mqtap.producer.metrics.PipelineMetrics;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HandoffTest {
    @Test
    void theEndMarkerIsItsOwnObject() throws Exception {
        Handoff h = new Handoff(4, OverflowPolicy.BLOCK, new PipelineMetrics(new MetricRegistry()));
        assertThat(Handoff.isEnd(List.of())).as("the JDK's shared empty list is not the end").isFalse();
        h.end();
        List<org.apache.avro.specific.SpecificRecord> end = h.take(1, TimeUnit.SECONDS);
        assertThat(Handoff.isEnd(end)).isTrue();
        assertThat(end).isEmpty();
        assertThat(h.take(0, TimeUnit.SECONDS)).as("nothing after the end").isNull();
    }
}
