package io.mqtap.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;

class RegistryConfigTest {

    @Test
    void readsKafkaStyleKeys() {
        RegistryConfig c = RegistryConfig.fromMap(Map.ofEntries(
            Map.entry("schema.registry.url", "https://a:8081/, https://b:8081"),
            Map.entry("basic.auth.credentials.source", "USER_INFO"),
            Map.entry("basic.auth.user.info", new Password("alice:s3cr:et")),
            Map.entry("schema.registry.ssl.truststore.location", "/etc/mqtap/trust.p12"),
            Map.entry("schema.registry.ssl.truststore.password", "tpw"),
            Map.entry("schema.registry.ssl.keystore.location", "/etc/mqtap/client.p12"),
            Map.entry("schema.registry.ssl.keystore.password", "kpw"),
            Map.entry("schema.registry.ssl.keystore.type", "JKS"),
            Map.entry("schema.registry.connect.timeout.ms", 1500),
            Map.entry("schema.registry.request.timeout.ms", "2500"),
            Map.entry("schema.registry.max.retries", "5"),
            Map.entry("schema.registry.retry.backoff.ms", 10L),
            Map.entry("schema.registry.retry.backoff.max.ms", 90L),
            Map.entry("auto.register.schemas", "false"),
            Map.entry("use.latest.version", true),
            Map.entry("value.subject.name.strategy", "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"),
            Map.entry("key.subject.name.strategy", "record"),
            Map.entry("specific.avro.reader", "true"),
            Map.entry("avro.reader.schema", "\"string\""),
            Map.entry("bootstrap.servers", "ignored:9092")));
        assertThat(c.urls()).containsExactly(URI.create("https://a:8081"), URI.create("https://b:8081"));
        assertThat(c.basicAuthUser()).isEqualTo("alice");
        assertThat(c.basicAuthPassword()).isEqualTo("s3cr:et");
        assertThat(c.trustStore()).isEqualTo(Path.of("/etc/mqtap/trust.p12"));
        assertThat(c.trustStoreType()).isEqualTo("PKCS12");
        assertThat(c.keyStoreType()).isEqualTo("JKS");
        assertThat(c.keyStorePassword()).isEqualTo("kpw");
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(c.maxRetries()).isEqualTo(5);
        assertThat(c.retryBackoff()).isEqualTo(Duration.ofMillis(10));
        assertThat(c.retryBackoffMax()).isEqualTo(Duration.ofMillis(90));
        assertThat(c.autoRegister()).isFalse();
        assertThat(c.useLatestVersion()).isTrue();
        assertThat(c.subjectStrategy(false)).isEqualTo(SubjectNameStrategy.TOPIC_RECORD);
        assertThat(c.subjectStrategy(true)).isEqualTo(SubjectNameStrategy.RECORD);
        assertThat(c.specificReader()).isTrue();
        assertThat(c.readerSchema()).isEqualTo(Schema.create(Schema.Type.STRING));
        assertThat(c.toString()).doesNotContain("s3cr").doesNotContain("tpw");
    }

    @Test
    void defaults() {
        RegistryConfig c = RegistryConfig.fromMap(Map.of("schema.registry.url", List.of("http://127.0.0.1:8081")));
        assertThat(c.autoRegister()).isTrue();
        assertThat(c.useLatestVersion()).isFalse();
        assertThat(c.subjectStrategy(false)).isEqualTo(SubjectNameStrategy.TOPIC);
        assertThat(c.removeJavaProperties()).isTrue();
        assertThat(c.maxRetries()).isEqualTo(3);
        assertThat(c.basicAuthUser()).isNull();
    }

    @Test
    void typedValuesAndTheBuilderGoThroughTheSameDefinition() {
        Schema reader = Schema.create(Schema.Type.STRING);
        RegistryConfig c = RegistryConfig.fromMap(Map.of("schema.registry.url", "http://127.0.0.1:8081/",
            "schema.registry.ssl.truststore.location", Path.of("/etc/mqtap/trust.p12"), "avro.reader.schema", reader,
            "schema.registry.max.retries", 7L));
        assertThat(c.trustStore()).isEqualTo(Path.of("/etc/mqtap/trust.p12"));
        assertThat(c.readerSchema()).isEqualTo(reader);
        assertThat(c.maxRetries()).isEqualTo(7);
        RegistryConfig b = c.toBuilder().basicAuth("carol", "pw:2").maxRetries(0).build();
        assertThat(b.urls()).containsExactly(URI.create("http://127.0.0.1:8081"));
        assertThat(b.basicAuthUser()).isEqualTo("carol");
        assertThat(b.basicAuthPassword()).isEqualTo("pw:2");
        assertThat(b.maxRetries()).isZero();
        assertThat(b.readerSchema()).isEqualTo(reader);
        assertThatThrownBy(() -> RegistryConfig.builder().url("http://x").connectTimeout(Duration.ZERO).build())
            .isInstanceOf(ConfigException.class).hasMessageContaining("schema.registry.connect.timeout.ms");
        assertThat(RegistryConfig.DEFINITION.names()).contains(RegistryConfig.URL, RegistryConfig.READER_SCHEMA,
            RegistryConfig.BASIC_AUTH_USER_INFO, RegistryConfig.RETRY_BACKOFF_MAX_MS);
    }

    @Test
    void userInfoFromTheUrl() {
        RegistryConfig c = RegistryConfig.fromMap(Map.of("schema.registry.url", "http://bob:pw@127.0.0.1:8081",
            "basic.auth.credentials.source", "URL"));
        assertThat(c.basicAuthUser()).isEqualTo("bob");
        assertThat(c.basicAuthPassword()).isEqualTo("pw");
    }

    @Test
    void badConfigSaysWhichKey() {
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("schema.registry.url");
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of("schema.registry.url", "ftp://x"))).isInstanceOf(ConfigException.class)
            .hasMessageContaining("http");
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of("schema.registry.url", "http://x", "auto.register.schemas", "yes")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("auto.register.schemas");
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of("schema.registry.url", "http://x", "value.subject.name.strategy", "bogus")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("topic-record");
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of("schema.registry.url", "http://x", "basic.auth.user.info", "nocolon")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("user:password");
    }

    @Test
    void subjectStrategiesNameLikeConfluent() {
        Schema s = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"MqOpen\",\"namespace\":\"io.mqtap.avro\",\"fields\":[]}");
        assertThat(SubjectNameStrategy.TOPIC.subjectName("mq-open-events", false, s)).isEqualTo("mq-open-events-value");
        assertThat(SubjectNameStrategy.TOPIC.subjectName("mq-open-events", true, s)).isEqualTo("mq-open-events-key");
        assertThat(SubjectNameStrategy.RECORD.subjectName("mq-open-events", false, s)).isEqualTo("io.mqtap.avro.MqOpen");
        assertThat(SubjectNameStrategy.TOPIC_RECORD.subjectName("t", false, s)).isEqualTo("t-io.mqtap.avro.MqOpen");
        assertThat(SubjectNameStrategy.parse("TopicNameStrategy")).isEqualTo(SubjectNameStrategy.TOPIC);
        assertThat(SubjectNameStrategy.parse("TOPIC_RECORD")).isEqualTo(SubjectNameStrategy.TOPIC_RECORD);
    }
}
