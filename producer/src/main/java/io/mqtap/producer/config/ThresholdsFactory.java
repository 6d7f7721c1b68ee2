package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;

/** The {@code thresholds} section: when the health checks turn red (Dropwizard owns {@code health}). */
public class ThresholdsFactory {
    /** Share of events lost in the kernel buffer since the last check above which the check fails. */
    @DecimalMin("0.0")
    @DecimalMax("1.0")
    @JsonProperty
    private double maxKernelLossRatio = 0.01;

    /** Records waiting longer than this for a Kafka acknowledgement make the Kafka check fail. */
    @NotNull
    @JsonProperty
    private Duration ackTimeout = Duration.seconds(30);

    public double getMaxKernelLossRatio() { return maxKernelLossRatio; }
    public void setMaxKernelLossRatio(double v) { maxKernelLossRatio = v; }
    public Duration getAckTimeout() { return ackTimeout; }
    public void setAckTimeout(Duration v) { ackTimeout = v; }
}
