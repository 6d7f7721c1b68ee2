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

    public List<String> getAcceptInsecure() { return acceptInsecure; }
    public void setAcceptInsecure(List<String> v) { acceptInsecure = v; }
}
