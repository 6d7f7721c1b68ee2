package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.avro.MqOpen;
import io.mqtap.producer.core.NameHmac;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.Ports;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.process.ProducerProcess;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The producer as a site with security runs it: Kafka over TLS with SASL/SCRAM-SHA-512 (the in-process broker
 * with a SASL_SSL listener, a test CA made with keytool), the registry behind nginx with TLS and basic auth, and
 * every secret from the environment or a file, none of them in the logs.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@Tag("nginx")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecureTransportTest {
    private static final String KAFKA_USER = "mqtap";
    private static final String REGISTRY_USER = "mqtap-registry";
    // random per run, so finding one in a log can only mean it was logged
    private final String kafkaPassword = "kafka-pw-" + hex();
    private final String registryPassword = "registry-pw-" + hex();
    private final String nameKey = "name-key-" + hex();

    @TempDir static Path dir;
    private TestCertificates certs;
    private KafkaBroker broker;
    private int saslPort;
    private SchemaRegistryServer registry;
    private NginxTlsProxy nginx;

    @BeforeAll
    void start() throws Exception {
        Kernel.assumeBpf();
        if (!NginxTlsProxy.installed()) {
            if (Boolean.getBoolean("mqtap.requireKernel")) throw new AssertionError("nginx is not installed: apt-get install nginx-light");
            Assumptions.abort("nginx is not installed (apt-get install nginx-light)");
        }
        certs = TestCertificates.create(Files.createDirectories(dir.resolve("tls")));
        saslPort = Ports.freeLoopbackPort();
        Map<String, String> tls = new HashMap<>();
        tls.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        tls.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        tls.put("listener.name.sasl_ssl.ssl.keystore.location", certs.serverKeyStore.toString());
        tls.put("listener.name.sasl_ssl.ssl.keystore.password", certs.storePassword);
        tls.put("listener.name.sasl_ssl.ssl.key.password", certs.storePassword);
        tls.put("listener.name.sasl_ssl.ssl.keystore.type", "PKCS12");
        broker = KafkaBroker.start(tls, List.of("SASL_SSL://127.0.0.1:" + saslPort),
                List.of("SCRAM-SHA-512=[name=" + KAFKA_USER + ",password=" + kafkaPassword + "]"));
        registry = SchemaRegistryServer.shared();
        nginx = NginxTlsProxy.start(Files.createDirectories(dir.resolve("nginx")), certs, registry.port(), REGISTRY_USER, registryPassword);
    }

    @AfterAll
    void stop() {
        if (nginx != null) nginx.close();
        if (broker != null) broker.close();
    }

    private String saslBootstrap() {
        return "127.0.0.1:" + saslPort;
    }

    private String registryUrl() {
        return nginx.url(SchemaRegistryServer.CCOMPAT_PATH);
    }

    /** What a downstream consumer (and tail) needs: SASL_SSL to Kafka, HTTPS and basic auth to the registry. */
    private Map<String, Object> clientSecurity(String password) {
        Map<String, Object> m = new HashMap<>();
        m.put("security.protocol", "SASL_SSL");
        m.put("sasl.mechanism", "SCRAM-SHA-512");
        m.put("sasl.jaas.config", jaas(password));
        m.put("ssl.truststore.location", certs.trustStore.toString());
        m.put("ssl.truststore.password", certs.storePassword);
        m.put("ssl.truststore.type", "PKCS12");
        m.put("basic.auth.user.info", REGISTRY_USER + ":" + registryPassword);
        m.put("schema.registry.ssl.truststore.location", certs.trustStore.toString());
        m.put("schema.registry.ssl.truststore.password", certs.storePassword);
        return m;
    }

    private static String jaas(String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + KAFKA_USER + "\" password=\"" + password + "\";";
    }

    /** The producer's config; the three secret slots are filled with whatever text is given (a literal or a ${...}). */
    private Path config(String name, String kafkaPw, String registryUserInfo, String trustStorePw, String extra) throws Exception {
        String yaml = """
                kafka:
                  bootstrapServers: %s
                  partitions: 1
                  minReplication: 1
                  minInsyncReplicas: 1
                  properties:
                    security.protocol: SASL_SSL
                    sasl.mechanism: SCRAM-SHA-512
                    sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";'
                    ssl.truststore.location: %s
                    ssl.truststore.type: PKCS12
                    ssl.truststore.password: "%s"
                schemaRegistry:
                  url: %s
                %s  trustStore: %s
                  trustStorePassword: "%s"
                pipeline:
                  statsInterval: 1s
                  shutdownTimeout: 5s
                spool:
                  dir: %s
                server:
                  applicationConnectors:
                    - type: http
                      port: 0
                  adminConnectors:
                    - type: http
                      port: 0
                logging:
                  level: INFO
                  loggers:
                    org.apache.kafka: INFO
                %s""".formatted(saslBootstrap(), KAFKA_USER, kafkaPw, certs.trustStore, trustStorePw, registryUrl(),
                registryUserInfo == null ? "" : "  basicAuthUserInfo: \"" + registryUserInfo + "\"\n",
                certs.trustStore, trustStorePw, dir.resolve("spool-" + name), extra);
        Path f = dir.resolve(name);
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void publishesOverSaslSslThroughAnHttpsRegistryWithSecretsFromEnvAndFilesAndLogsNoneOfThem() throws Exception {
        Path registryPwFile = Files.writeString(dir.resolve("registry-password"), registryPassword + "\n");
        Path nameKeyFile = Files.writeString(dir.resolve("name-hmac.key"), nameKey + "\n");
        Path config = config("secure.yml", "${MQTAP_TEST_KAFKA_PASSWORD}", REGISTRY_USER + ":${file:" + registryPwFile + "}",
                "${MQTAP_TEST_TRUSTSTORE_PASSWORD}", "privacy:\n  nameHmacKey: ${file:" + nameKeyFile + "}\n"
                        // only the helper's calls: another process's mq_open storm must not overflow the kernel buffer
                        + "capture:\n  filters:\n    includeComms: [mq_open_helper]\n");
        Map<String, String> env = Map.of("MQTAP_TEST_KAFKA_PASSWORD", kafkaPassword, "MQTAP_TEST_TRUSTSTORE_PASSWORD", certs.storePassword);
        // tail reads its secrets from a properties file, not the command line
        Path tailConfig = dir.resolve("tail.properties");
        java.util.Properties tp = new java.util.Properties();
        clientSecurity(kafkaPassword).forEach((k, v) -> tp.setProperty(k, v.toString()));
        try (var out = Files.newBufferedWriter(tailConfig)) {
            tp.store(out, null);
        }
        String tailOutput;
        String producerOutput;
        // the schemas registered first, by the command a fleet's CI/CD runs, through the same TLS proxy and credentials
        try (ProducerProcess register = ProducerProcess.builder().env(env).args("register-schemas", config.toString()).start()) {
            assertThat(register.waitFor(Duration.ofSeconds(120))).as(register.output()).isZero();
            assertThat(register.output()).contains("registered io.mqtap.avro.MqOpen on mq-open-events");
        }
        try (ProducerProcess producer = ProducerProcess.builder().env(env).args("server", config.toString()).start()) {
            producer.awaitOutput("Schemas registered", Duration.ofSeconds(120));
            String q = "secure-" + UUID.randomUUID().toString().substring(0, 8);
            MqOpenHelper.HelperRun run = MqOpenHelper.run("name=" + q + " oflag=RDWR|CREAT mode=0600");
            Matcher m = Pattern.compile("as run ([0-9a-f-]{36})").matcher(producer.output());
            assertThat(m.find()).as(producer.output()).isTrue();
            String runId = m.group(1);
            List<ConsumerRecord<String, MqOpen>> rs = Records.read(clientSecurity(kafkaPassword), saslBootstrap(), registryUrl(),
                    "mq-open-events", got -> Records.events(got, runId).stream().anyMatch(r -> r.getPid() == run.pid()),
                    Duration.ofSeconds(60));
            List<MqOpen> mine = Records.events(rs, runId).stream().filter(r -> r.getPid() == run.pid()).toList();
            assertThat(mine).as(producer.output()).hasSize(1);
            assertThat(mine.get(0).getName()).isEqualTo(NameHmac.ofText(nameKey).label(NameHmac.ofText(nameKey).digest(q.getBytes(StandardCharsets.UTF_8))));

            try (ProducerProcess tail = ProducerProcess.builder().args("tail", "--bootstrap-servers", saslBootstrap(),
                    "--schema-registry-url", registryUrl(), "--consumer-config", tailConfig.toString(), "--from-beginning",
                    "--max-records", "1", "--timeout-ms", "30000").start()) {
                assertThat(tail.waitFor(Duration.ofSeconds(90))).as(tail.output()).isZero();
                tailOutput = tail.output();
                assertThat(tailOutput).contains("\"name\":\"hmac-sha256:");
            }
            producer.terminate();
            assertThat(producer.waitFor(Duration.ofSeconds(60))).as(producer.output()).isIn(0, 143);
            producerOutput = producer.output();
        }
        // Kafka's own config dump was logged (at INFO), with the JAAS config hidden
        assertThat(producerOutput).contains("ProducerConfig values").contains("sasl.jaas.config = [hidden]")
                .contains("security.protocol = SASL_SSL");
        for (String secret : List.of(kafkaPassword, registryPassword, certs.storePassword, nameKey)) {
            assertThat(producerOutput).as("the producer's log").doesNotContain(secret);
            assertThat(tailOutput).as("tail's output").doesNotContain(secret);
        }
    }

    @Test
    void aWrongKafkaPasswordIsFatalNamingTheAuthenticationFailure() throws Exception {
        String wrong = "wrong-pw-" + hex();
        Path config = config("wrong.yml", wrong, REGISTRY_USER + ":" + registryPassword, certs.storePassword, "");
        // the probe attaches first; the publisher's first call to Kafka finds out, and that is fatal (exit 1 under systemd)
        try (ProducerApp app = ProducerApp.fromFile(config).start()) {
            String why = app.fatal().get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(why).contains("Kafka refused mqtap's credentials").contains("SaslAuthenticationException")
                    .contains("Authentication failed").contains("SCRAM-SHA-512").doesNotContain(wrong);
            assertThat(app.health("kafka").getMessage()).isEqualTo(why);
        }
    }

    @Test
    void withoutRegistryCredentialsTheSchemaCheckSays401() throws Exception {
        // nothing can be published here: capture no one's calls (a uid nobody has), so the hand-off stays empty
        Path config = config("noauth.yml", kafkaPassword, null, certs.storePassword, "capture:\n  filters:\n    includeUids: [64999]\n");
        try (ProducerApp app = ProducerApp.fromFile(config).start()) {
            String message = await("the schema check's 401").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                var schema = app.health("schema");
                assertThat(schema.isHealthy()).isFalse();
                return String.valueOf(schema.getMessage());
            }, m -> m.contains("401"));
            assertThat(message).contains("HTTP 401").contains("basic.auth.user.info").contains(registryUrl().replace("/apis/ccompat/v7", ""));
        }
    }

    private static String hex() {
        byte[] b = new byte[12];
        new java.security.SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
