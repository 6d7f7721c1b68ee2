package io.mqtap.producer.config;

import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.server.ServerFactory;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.jetty.ConnectorFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import java.util.List;

/** Connectors whose config names no bind address listen on 127.0.0.1 only, not on every interface. */
public final class LoopbackDefaults {
    private LoopbackDefaults() {}

    public static void apply(ServerFactory server) {
        if (server instanceof DefaultServerFactory d) {
            loopback(d.getApplicationConnectors());
            loopback(d.getAdminConnectors());
        } else if (server instanceof SimpleServerFactory s) {
            loopback(List.of(s.getConnector()));
        }
    }

    private static void loopback(List<ConnectorFactory> connectors) {
        for (ConnectorFactory c : connectors) {
            if (c instanceof HttpConnectorFactory h && h.getBindHost() == null) h.setBindHost("127.0.0.1");
        }
    }
}
