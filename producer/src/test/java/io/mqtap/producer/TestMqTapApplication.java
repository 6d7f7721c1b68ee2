package io.mqtap.producer;

import io.dropwizard.core.setup.Environment;
import io.mqtap.producer.cli.RegisterSchemasCommand;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service as the in-JVM tests run it: the schemas registered first, as a fleet's CI/CD does with
 * {@code mqtap register-schemas} (the producer only looks them up: autoRegister is off by default); a fatal problem is
 * recorded for the test instead of exiting the JVM.
 */
public class TestMqTapApplication extends MqTapApplication {
    private static final Logger LOG = LoggerFactory.getLogger(TestMqTapApplication.class);
    final CompletableFuture<String> fatal = new CompletableFuture<>();

    @Override
    public void run(MqTapConfiguration config, Environment env) {
        try {
            RegisterSchemasCommand.register(config);
        } catch (RuntimeException e) {
            // a test of a registry away at start: the producer's own schema check reports it
            LOG.warn("The test's registration of the schemas failed (the producer's schema check says why): {}", e.getMessage());
        }
        super.run(config, env);
    }

    @Override
    protected void fatal(String why) {
        fatal.complete(why);
    }
}
