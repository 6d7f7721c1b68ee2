package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import io.mqtap.producer.core.RecordType;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
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

    /** The topics of the rest of a queue's life, one per record type (README, Records and topics). */
    @NotEmpty
    @JsonProperty
    private String unlinkTopic = "mq-unlink-events";

    @NotEmpty
    @JsonProperty
    private String notifyTopic = "mq-notify-events";

    @NotEmpty
    @JsonProperty
    private String setattrTopic = "mq-setattr-events";

    @NotEmpty
    @JsonProperty
    private String accessTopic = "mq-access-events";

    @NotEmpty
    @JsonProperty
    private String transferTopic = "mq-transfer-events";

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

    /** The topic a record type is published to. */
    public String topicOf(RecordType type) {
        return switch (type) {
            case OPEN -> topic;
            case UNLINK -> unlinkTopic;
            case NOTIFY -> notifyTopic;
            case SETATTR -> setattrTopic;
            case ACCESS -> accessTopic;
            case TRANSFER -> transferTopic;
        };
    }

    /** Every record type's topic, in RecordType order (the stats topic apart). */
    public List<String> recordTopics() {
        return Arrays.stream(RecordType.values()).map(this::topicOf).toList();
    }

    public String getUnlinkTopic() { return unlinkTopic; }
    public void setUnlinkTopic(String v) { unlinkTopic = v; }
    public String getNotifyTopic() { return notifyTopic; }
    public void setNotifyTopic(String v) { notifyTopic = v; }
    public String getSetattrTopic() { return setattrTopic; }
    public void setSetattrTopic(String v) { setattrTopic = v; }
    public String getAccessTopic() { return accessTopic; }
    public void setAccessTopic(String v) { accessTopic = v; }
    public String getTransferTopic() { return transferTopic; }
    public void setTransferTopic(String v) { transferTopic = v; }
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
