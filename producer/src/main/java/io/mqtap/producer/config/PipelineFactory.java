package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.mqtap.producer.pipeline.OverflowPolicy;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/** The {@code pipeline} section: the hand-off between capture and Kafka, stats, and stopping. */
public class PipelineFactory {
    /** Events the hand-off holds before the overflow policy applies. */
    @Min(1)
    @JsonProperty
    private int handoffCapacity = 65_536;

    /** block: stop reading, so the kernel buffer absorbs (and counts) any overflow; drop: drop and count. */
    @NotNull
    @JsonProperty
    private OverflowPolicy overflow = OverflowPolicy.BLOCK;

    @NotNull
    @JsonProperty
    private Duration statsInterval = Duration.seconds(10);

    /**
     * The longest a stop takes, whatever Kafka does: it detaches the probe, drains, publishes and waits for Kafka's
     * acknowledgements; what is not acknowledged by then stays in the spool for the next run, and the stop says how much.
     */
    @NotNull
    @JsonProperty
    private Duration shutdownTimeout = Duration.seconds(30);

    public int getHandoffCapacity() { return handoffCapacity; }
    public void setHandoffCapacity(int v) { handoffCapacity = v; }
    public OverflowPolicy getOverflow() { return overflow; }
    public void setOverflow(OverflowPolicy v) { overflow = v; }
    public Duration getStatsInterval() { return statsInterval; }
    public void setStatsInterval(Duration v) { statsInterval = v; }
    public Duration getShutdownTimeout() { return shutdownTimeout; }
    public void setShutdownTimeout(Duration v) { shutdownTimeout = v; }
}
