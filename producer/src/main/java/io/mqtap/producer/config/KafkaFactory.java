package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code kafka} section: where records go, and any producer property passed through as it is. */
public class KafkaFactory {
    @NotEmpty
    @JsonProperty
    private String bootstrapServers;

    @NotEmpty
    @JsonProperty
    private String topic = "mq-open-events";

    @NotEmpty
    @JsonProperty
    private String statsTopic = "mq-open-stats";

    /** Create the topics when missing (needs CREATE on the cluster); off, a missing topic fails the start. */
    @JsonProperty
    private boolean createTopics = true;

    @Min(1)
    @JsonProperty
    private int partitions = 6;

    /** -1: the broker's default.replication.factor. */
    @Min(-1)
    @Max(32767)
    @JsonProperty
    private int replicationFactor = -1;

    /**
     * The least replication factor the events topic may have: below it the producer refuses to send (a record on
     * one broker is lost with that broker's disk). 1 only for a single-node test or demo cluster.
     */
    @Min(1)
    @JsonProperty
    private int minReplication = 3;

    /**
     * The least {@code min.insync.replicas} the events topic may have: with acks=all, a record is acknowledged only
     * once this many replicas have it. Topics mqtap creates get it as their min.insync.replicas.
     */
    @Min(1)
    @JsonProperty
    private int minInsyncReplicas = 2;

    /** Passed to the KafkaProducer as is, after mqtap's own settings: security.protocol, sasl.*, ssl.*, tuning. */
    @NotNull
    @ValidProducerProperties
    @JsonProperty
    private Map<String, String> properties = new LinkedHashMap<>();

    public String getBootstrapServers() { return bootstrapServers; }
    public void setBootstrapServers(String v) { bootstrapServers = v; }
    public String getTopic() { return topic; }
    public void setTopic(String v) { topic = v; }
    public String getStatsTopic() { return statsTopic; }
    public void setStatsTopic(String v) { statsTopic = v; }
    public boolean isCreateTopics() { return createTopics; }
    public void setCreateTopics(boolean v) { createTopics = v; }
    public int getPartitions() { return partitions; }
    public void setPartitions(int v) { partitions = v; }
    public int getReplicationFactor() { return replicationFactor; }
    public void setReplicationFactor(int v) { replicationFactor = v; }
    public int getMinReplication() { return minReplication; }
    public void setMinReplication(int v) { minReplication = v; }
    public int getMinInsyncReplicas() { return minInsyncReplicas; }
    public void setMinInsyncReplicas(int v) { minInsyncReplicas = v; }
    public Map<String, String> getProperties() { return properties; }
    public void setProperties(Map<String, String> v) { properties = v == null ? new LinkedHashMap<>() : v; }
}
