package io.mqtap.producer.admin;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.dropwizard.jetty.ConnectorFactory;
import jakarta.validation.constraints.NotEmpty;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.ThreadPool;

/**
 * A connector ({@code type: unix}) on a Unix domain socket whose file is made 0600 as soon as it is bound: only the
 * service's own user (and root) can reach what it serves, where a loopback port is open to every local user.
 * Put it in a directory only that user can enter (the unit's {@code RuntimeDirectory}), so no other user can
 * connect even in the moment between bind and chmod. A stale socket file from a killed run is replaced.
 */
@JsonTypeName("unix")
public class UnixSocketConnectorFactory implements ConnectorFactory {
    /** The socket file, e.g. /run/mqtap/admin.sock. */
    @NotEmpty
    @JsonProperty
    private String path;

    public String getPath() { return path; }
    public void setPath(String v) { path = v; }

    @Override
    public Connector build(Server server, MetricRegistry metrics, String name, ThreadPool threadPool) {
        Path socket = Path.of(path);
        try {
            if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)
                    && Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
                Files.delete(socket); // a socket, never a file or a link someone put there
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to remove the stale admin socket " + socket + ": " + e.getMessage(), e);
        }
        // the connector runs on Dropwizard's thread pool for it (which Dropwizard then unmanages from the connector)
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server, threadPool, null, null, -1, -1,
                new HttpConnectionFactory(new HttpConfiguration()));
        connector.setUnixDomainPath(socket);
        connector.setName(name);
        connector.addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleStarted(LifeCycle event) {
                try {
                    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
                } catch (IOException e) {
                    throw new UncheckedIOException("Failed to make the admin socket " + socket + " 0600: " + e.getMessage(), e);
                }
            }
        });
        return connector;
    }
}
