package io.mqtap.producer.health;

import com.codahale.metrics.health.HealthCheck;
import java.util.function.Supplier;

/** Healthy while the probe is attached; says which hook set, or why it is not attached. */
public final class ProbeHealthCheck extends HealthCheck {
    /** What the capture side says about itself: attached mode, or the reason it is not attached. */
    public record State(boolean attached, String detail) {}

    private final Supplier<State> state;

    public ProbeHealthCheck(Supplier<State> state) {
        this.state = state;
    }

    @Override
    protected Result check() {
        State s = state.get();
        return s.attached() ? Result.healthy("probe attached: " + s.detail()) : Result.unhealthy("probe not attached: " + s.detail());
    }
}
