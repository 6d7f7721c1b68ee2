package io.mqtap.producer;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.mqtap.producer.config.CaptureFactory;
import io.mqtap.producer.config.ThresholdsFactory;
import io.mqtap.producer.config.HostFactory;
import io.mqtap.producer.config.KafkaFactory;
import io.mqtap.producer.config.KubernetesFactory;
import io.mqtap.producer.config.PipelineFactory;
import io.mqtap.producer.config.PrivacyFactory;
import io.mqtap.producer.config.SchemaRegistryFactory;
import io.mqtap.producer.config.SecurityFactory;
import io.mqtap.producer.config.SpoolFactory;
import io.mqtap.producer.config.StartChecks;
import jakarta.validation.GroupSequence;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

/**
 * mqtap's configuration file: one section per part of the pipeline, plus Dropwizard's server/logging/metrics.
 * Each field's constraints are checked first, then what the start itself would refuse ({@link StartChecks}).
 */
@GroupSequence({MqTapConfiguration.class, StartChecks.Group.class})
@StartChecks(groups = StartChecks.Group.class)
public class MqTapConfiguration extends Configuration {
    @Valid @NotNull @JsonProperty private KafkaFactory kafka;
    @Valid @NotNull @JsonProperty private SchemaRegistryFactory schemaRegistry;
    @Valid @NotNull @JsonProperty private CaptureFactory capture = new CaptureFactory();
    @Valid @NotNull @JsonProperty private HostFactory host = new HostFactory();
    @Valid @NotNull @JsonProperty private PipelineFactory pipeline = new PipelineFactory();
    @Valid @NotNull @JsonProperty private SpoolFactory spool = new SpoolFactory();
    @Valid @NotNull @JsonProperty private ThresholdsFactory thresholds = new ThresholdsFactory();
    @Valid @NotNull @JsonProperty private PrivacyFactory privacy = new PrivacyFactory();
    @Valid @NotNull @JsonProperty private KubernetesFactory kubernetes = new KubernetesFactory();
    @Valid @NotNull @JsonProperty private SecurityFactory security = new SecurityFactory();

    public MqTapConfiguration() {
        // the admin port shows metrics and health: loopback only unless the config says otherwise
        DefaultServerFactory server = new DefaultServerFactory();
        HttpConnectorFactory app = new HttpConnectorFactory();
        app.setBindHost("127.0.0.1");
        app.setPort(8080);
        HttpConnectorFactory admin = new HttpConnectorFactory();
        admin.setBindHost("127.0.0.1");
        admin.setPort(8081);
        server.setApplicationConnectors(java.util.List.of(app));
        server.setAdminConnectors(java.util.List.of(admin));
        setServerFactory(server);
    }

    public KafkaFactory getKafka() { return kafka; }
    public void setKafka(KafkaFactory v) { kafka = v; }
    public SchemaRegistryFactory getSchemaRegistry() { return schemaRegistry; }
    public void setSchemaRegistry(SchemaRegistryFactory v) { schemaRegistry = v; }
    public CaptureFactory getCapture() { return capture; }
    public void setCapture(CaptureFactory v) { capture = v; }
    public HostFactory getHost() { return host; }
    public void setHost(HostFactory v) { host = v; }
    public PipelineFactory getPipeline() { return pipeline; }
    public void setPipeline(PipelineFactory v) { pipeline = v; }
    public SpoolFactory getSpool() { return spool; }
    public void setSpool(SpoolFactory v) { spool = v; }
    public ThresholdsFactory getThresholds() { return thresholds; }
    public void setThresholds(ThresholdsFactory v) { thresholds = v; }
    public PrivacyFactory getPrivacy() { return privacy; }
    public void setPrivacy(PrivacyFactory v) { privacy = v; }
    public KubernetesFactory getKubernetes() { return kubernetes; }
    public void setKubernetes(KubernetesFactory v) { kubernetes = v; }
    public SecurityFactory getSecurity() { return security; }
    public void setSecurity(SecurityFactory v) { security = v; }
}
