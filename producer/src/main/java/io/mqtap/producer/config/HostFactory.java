package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.mqtap.producer.core.HostIdentity;

/** The {@code host} section: identity overrides; anything left out is read from the host. */
public class HostFactory {
    @JsonProperty private String hostname;
    @JsonProperty private String machineId;
    @JsonProperty private String bootId;

    public HostIdentity detect() {
        return HostIdentity.detect(hostname, machineId, bootId);
    }

    public String getHostname() { return hostname; }
    public void setHostname(String v) { hostname = v; }
    public String getMachineId() { return machineId; }
    public void setMachineId(String v) { machineId = v; }
    public String getBootId() { return bootId; }
    public void setBootId(String v) { bootId = v; }
}
