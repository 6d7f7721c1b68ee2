package io.mqtap.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.mqtap.producer.cli.RegisterSchemasCommand;
import io.dropwizard.configuration.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** What a fleet's CI/CD does before a producer starts (autoRegister is off by default): {@code mqtap register-schemas} on its config. */
public final class SchemasFirst {
    private SchemasFirst() {}

    /** Registers every writer schema in the registry {@code config} (a producer config as a map) names. */
    public static void register(Map<String, Object> config) throws IOException {
        Path file = Files.createTempFile("mqtap-bench-schemas-", ".yml");
        try {
            new ObjectMapper(new YAMLFactory()).writeValue(file.toFile(), config);
            RegisterSchemasCommand.register(file);
        } catch (ConfigurationException e) {
            throw new IOException("the bench's producer config is not valid: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
