package io.mqtap.producer;

import com.codahale.metrics.health.HealthCheck;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.mqtap.producer.pipeline.CapturePipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The producer service inside the test JVM (Dropwizard's {@link DropwizardAppExtension}), from test-config.yml with
 * this test's broker and registry, or from a config file of its own; started by {@link Builder#start()}, stopped by
 * {@link #close()} (what a SIGTERM does: detach, drain, publish, flush).
 */
final class ProducerApp implements AutoCloseable {
    private final DropwizardAppExtension<MqTapConfiguration> ext;

    private ProducerApp(DropwizardAppExtension<MqTapConfiguration> ext) {
        this.ext = ext;
    }

    /** test-config.yml, publishing to this broker through this registry, with a spool directory of its own. */
    static Builder of(String bootstrapServers, String registryUrl) throws IOException {
        return new Builder(null).set("kafka.bootstrapServers", bootstrapServers).set("schemaRegistry.url", registryUrl)
                .set("spool.dir", tempSpool());
    }

    private static String tempSpool() throws IOException {
        Path d = Files.createTempDirectory("mqtap-test-spool-");
        d.toFile().deleteOnExit();
        return d.toString();
    }

    /** A config file the test wrote itself, taken as it is. */
    static Builder fromFile(Path config) {
        return new Builder(config);
    }

    static final class Builder {
        private final Path config;
        private final List<ConfigOverride> overrides = new ArrayList<>();
        private UnaryOperator<String> edit;

        private Builder(Path config) {
            this.config = config;
        }

        /** One key of the config, as {@code capture.perCpuPages}. */
        Builder set(String key, String value) {
            overrides.add(ConfigOverride.config(key, value));
            return this;
        }

        /** Changes test-config.yml's text (for what overrides can't express, such as lists). */
        Builder editConfig(UnaryOperator<String> change) {
            edit = change;
            return this;
        }

        /** Starts it; when the start fails, what was started is stopped again and the failure thrown. */
        ProducerApp start() throws Exception {
            DropwizardAppExtension<MqTapConfiguration> ext = new DropwizardAppExtension<>(TestMqTapApplication.class, configFile(),
                    overrides.toArray(ConfigOverride[]::new));
            try {
                ext.before();
            } catch (Exception | Error e) {
                ext.after();
                throw e;
            }
            return new ProducerApp(ext);
        }

        private String configFile() throws IOException {
            if (config != null) return config.toString();
            String base = ResourceHelpers.resourceFilePath("test-config.yml");
            if (edit == null) return base;
            Path copy = Files.createTempFile("mqtap-test-config-", ".yml");
            copy.toFile().deleteOnExit();
            Files.writeString(copy, edit.apply(Files.readString(Path.of(base))));
            return copy.toString();
        }
    }

    /** What {@code mqtap register-schemas} does, with this producer's config (a test's registry that started empty). */
    void registerSchemas() {
        io.mqtap.producer.cli.RegisterSchemasCommand.register(ext.getConfiguration());
    }

    MqTapApplication application() {
        return (MqTapApplication) ext.getApplication();
    }

    /** Completes with the reason when the service hit a fatal problem (it would exit with status 1 under systemd). */
    java.util.concurrent.CompletableFuture<String> fatal() {
        return ((TestMqTapApplication) ext.getApplication()).fatal;
    }

    CapturePipeline pipeline() {
        return application().pipeline();
    }

    String runId() {
        return pipeline().host().runId();
    }

    Environment environment() {
        return ext.getEnvironment();
    }

    /** Runs one health check now. */
    HealthCheck.Result health(String name) {
        return ext.getEnvironment().healthChecks().runHealthCheck(name);
    }

    int adminPort() {
        return ext.getAdminPort();
    }

    int localPort() {
        return ext.getLocalPort();
    }

    @Override
    public void close() {
        ext.after();
    }
}
