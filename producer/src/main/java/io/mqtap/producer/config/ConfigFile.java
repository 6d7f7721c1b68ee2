package io.mqtap.producer.config;

import io.dropwizard.configuration.ConfigurationSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.core.setup.Environment;
import io.mqtap.producer.MqTapConfiguration;

/**
 * The configuration file the service was started with, remembered as Dropwizard opens it, so a reload reads
 * the same file through the same substitution, parsing and validation as the start.
 */
public final class ConfigFile {
    private ConfigurationSourceProvider provider;
    private volatile String path;

    /** Wraps the provider Dropwizard reads the configuration through, noting the path it opens. */
    public ConfigurationSourceProvider remembering(ConfigurationSourceProvider inner) {
        provider = inner;
        return p -> {
            path = p;
            return inner.open(p);
        };
    }

    /** The file's path, or null when the configuration did not come from one. */
    public String path() {
        return path;
    }

    /** Reads and validates the file again; throws naming the key and the reason, as the start would. */
    public MqTapConfiguration read(Environment env) throws Exception {
        return new YamlConfigurationFactory<>(MqTapConfiguration.class, env.getValidator(), env.getObjectMapper(), "dw")
                .build(provider, path);
    }
}
