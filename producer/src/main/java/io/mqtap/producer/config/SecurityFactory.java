package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotNull;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code security} section. A setting {@link InsecureSettings} finds (credentials over plaintext, a weakened
 * delivery guarantee, hostname verification off) fails the start and {@code check} unless its key is listed in
 * {@code acceptInsecure}; then it is accepted with a WARN line at every start and every check.
 */
public class SecurityFactory {
    /** Keys whose insecure setting is deliberate, as the refusal names them (e.g. {@code kafka.properties.acks}). */
    @NotNull
    @JsonProperty
    private List<String> acceptInsecure = new ArrayList<>();

    /**
     * Dropwizard's tasks (POST /tasks/gc, /tasks/log-level), thread dumps (/threads) and CPU profiles (/pprof) on the
     * admin connector: off by default, since they change the service or cost it CPU and any local user can reach a
     * loopback port. (Not under {@code admin:}, which is Dropwizard's own section.)
     */
    @JsonProperty
    private boolean operatorEndpoints = false;

    public boolean isOperatorEndpoints() { return operatorEndpoints; }
    public void setOperatorEndpoints(boolean v) { operatorEndpoints = v; }
    public List<String> getAcceptInsecure() { return acceptInsecure; }
    public void setAcceptInsecure(List<String> v) { acceptInsecure = v; }
}
