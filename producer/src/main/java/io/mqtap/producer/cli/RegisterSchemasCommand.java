package io.mqtap.producer.cli;

import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.mqtap.producer.MqTapConfiguration;
import io.mqtap.producer.kafka.KafkaWiring;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroSerializer;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.mqtap.producer.config.SecretSubstitutor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.sourceforge.argparse4j.inf.Namespace;
import org.apache.avro.specific.SpecificRecord;

/**
 * {@code register-schemas <config.yml>} ({@code ./mqtap schemas register}): registers every writer schema of this
 * build under the subjects the config's topics and strategy give, once, from CI/CD, so a fleet can run with
 * {@code schemaRegistry.autoRegister: false}: then a host only looks its schemas up, and a registry that caps writes
 * sees one write per schema per release instead of one per host per restart.
 */
public class RegisterSchemasCommand extends ConfiguredCommand<MqTapConfiguration> {
    public RegisterSchemasCommand() {
        super("register-schemas", "Register every record schema of this build in the Schema Registry the config names");
    }

    @Override
    protected void run(Bootstrap<MqTapConfiguration> bootstrap, Namespace ns, MqTapConfiguration config) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        for (Registered r : register(config)) {
            out.printf("registered %s on %s: id %d%n", r.schema(), r.topic(), r.id());
        }
    }

    /** One schema registered (or found registered already: the registry returns the same id). */
    public record Registered(String topic, String schema, int id) {}

    /**
     * What the command does with a config file, for programs and tests that start a producer against a fresh registry:
     * the file read as {@code server} reads it (${VAR} and ${file:...} substituted, every key validated).
     */
    public static List<Registered> register(Path configFile) throws IOException, ConfigurationException {
        MqTapConfiguration config = new YamlConfigurationFactory<>(MqTapConfiguration.class, Validators.newValidator(),
                Jackson.newObjectMapper(), "dw")
                .build(new SubstitutingSourceProvider(new FileConfigurationSourceProvider(), new SecretSubstitutor()), configFile.toString());
        return register(config);
    }

    /** Registers each writer schema whatever {@code schemaRegistry.autoRegister} says: that is this command's job. */
    public static List<Registered> register(MqTapConfiguration config) {
        Map<String, Object> serde = new HashMap<>(config.getSchemaRegistry().serdeConfig());
        serde.put(RegistryConfig.AUTO_REGISTER, true);
        try (AvroSerializer<SpecificRecord> values = new AvroSerializer<>()) {
            values.configure(serde, false);
            return KafkaWiring.schemas(config.getKafka()).stream()
                    .map(ts -> new Registered(ts.topic(), ts.schema().getFullName(), values.schemaId(ts.topic(), ts.schema())))
                    .toList();
        }
    }
}
