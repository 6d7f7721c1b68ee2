package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.mqtap.producer.core.HostIdentity;

/** The {@code host} section: identity overrides; anything left out is read from the host. */
public class HostFactory {
    @JsonProperty private String hostname;
    /** As /etc/machine-id holds it: the records' key and the stats' identity. */
    @jakarta.validation.constraints.Pattern(regexp = "[0-9a-f]{32}", message = "must be 32 lowercase hex digits, as in /etc/machine-id")
    @JsonProperty private String machineId;
    @jakarta.validation.constraints.Pattern(regexp = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            message = "must be a lowercase UUID, as in /proc/sys/kernel/random/boot_id")
    @JsonProperty private String bootId;
    /** The fleet or Kubernetes cluster this host belongs to: every record's {@code cluster}; none when left out. */
    @jakarta.validation.constraints.Size(max = 253)
    @JsonProperty private String cluster;

    public HostIdentity detect() {
        return HostIdentity.detect(hostname, machineId, bootId, cluster);
    }

    public String getHostname() { return hostname; }
    public void setHostname(String v) { hostname = v; }
    public String getMachineId() { return machineId; }
    public void setMachineId(String v) { machineId = v; }
    public String getBootId() { return bootId; }
    public void setBootId(String v) { bootId = v; }
    public String getCluster() { return cluster; }
    public void setCluster(String v) { cluster = v; }
}
