package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The {@code admin} section: what the admin connector serves beyond metrics, ping and the health checks. */
public class AdminSettingsFactory {
    /**
     * Dropwizard's tasks (POST /tasks/gc, /tasks/log-level), thread dumps (/threads) and CPU profiles (/pprof): off by
     * default, since they change the service or cost it CPU and any local user can reach a loopback port.
     */
    @JsonProperty
    private boolean operatorEndpoints = false;

    public boolean isOperatorEndpoints() { return operatorEndpoints; }
    public void setOperatorEndpoints(boolean v) { operatorEndpoints = v; }
}
