package io.mqtap.registry;

import io.mqtap.testkit.registry.SchemaRegistryServer;
import org.junit.jupiter.api.Tag;

/** The registry contract against a real Apicurio Registry (child process, started once per test JVM). */
@Tag("registry")
class ApicurioRegistryTest extends SchemaRegistryContract {
    @Override
    protected String url() {
        return SchemaRegistryServer.shared().url();
    }
}
