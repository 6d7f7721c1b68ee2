package io.mqtap.producer.health;

import com.codahale.metrics.health.HealthCheck;
import io.mqtap.producer.kafka.SchemaGate;

/** Healthy once the record schemas are registered; until then says why not. */
public final class SchemaHealthCheck extends HealthCheck {
    private final SchemaGate gate;

    public SchemaHealthCheck(SchemaGate gate) {
        this.gate = gate;
    }

    @Override
    protected Result check() {
        return gate.registered() ? Result.healthy("schemas registered")
                : Result.unhealthy("schemas not registered (records wait in the spool): " + gate.problem());
    }
}
