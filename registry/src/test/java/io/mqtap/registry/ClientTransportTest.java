package io.mqtap.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.mqtap.testkit.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's HTTP side against tiny in-test servers on 127.0.0.1: basic auth, TLS trust, client
 * certificates, retries with backoff, failover between URLs, timeouts and the registry's error bodies.
 */
class ClientTransportTest {
    private static final String PW = "changeit";
    @TempDir static Path dir;
    private static Path serverKeys;
    private static Path clientTrust;
    private static Path clientKeys;
    private static Path serverTrust;

    private final List<HttpServer> servers = new ArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void keys() throws Exception {
        serverKeys = dir.resolve("server.p12");
        clientKeys = dir.resolve("client.p12");
        clientTrust = dir.resolve("client-trust.p12");
        serverTrust = dir.resolve("server-trust.p12");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
            "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", serverKeys.toString(), "-storepass", PW);
        keytool("-exportcert", "-alias", "server", "-keystore", serverKeys.toString(), "-storepass", PW, "-file", dir.resolve("server.crt").toString());
        keytool("-importcert", "-noprompt", "-alias", "server", "-file", dir.resolve("server.crt").toString(),
            "-storetype", "PKCS12", "-keystore", clientTrust.toString(), "-storepass", PW);
        keytool("-genkeypair", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=mqtap-producer",
            "-validity", "2", "-storetype", "PKCS12", "-keystore", clientKeys.toString(), "-storepass", PW);
        keytool("-exportcert", "-alias", "client", "-keystore", clientKeys.toString(), "-storepass", PW, "-file", dir.resolve("client.crt").toString());
        keytool("-importcert", "-noprompt", "-alias", "client", "-file", dir.resolve("client.crt").toString(),
            "-storetype", "PKCS12", "-keystore", serverTrust.toString(), "-storepass", PW);
    }

    @AfterEach
    void stopServers() {
        servers.forEach(s -> s.stop(0));
    }

    @Test
    void basicAuthHeaderOverTrustedTls() throws Exception {
        String url = https(false, this::subjects);
        SchemaRegistryClient c = new SchemaRegistryClient(RegistryConfig.fromMap(java.util.Map.of(
            RegistryConfig.URL, url,
            RegistryConfig.BASIC_AUTH_USER_INFO, "mqtap:p@ss:word",
            RegistryConfig.TRUSTSTORE_LOCATION, clientTrust.toString(),
            RegistryConfig.TRUSTSTORE_PASSWORD, PW)));
        assertThat(c.subjects()).containsExactly("mq-open-events-value");
        assertThat(authorizations).containsExactly("Basic " + Base64.getEncoder().encodeToString("mqtap:p@ss:word".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void wrongPasswordIsA401ThatSaysWhatToCheck() throws Exception {
        String url = https(false, this::subjects);
        SchemaRegistryClient c = new SchemaRegistryClient(RegistryConfig.builder().url(url).basicAuth("mqtap", "wrong")
            .trustStore(clientTrust, PW, "PKCS12").build());
        assertThatThrownBy(c::subjects).isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
            assertThat(e.httpStatus()).isEqualTo(401);
            assertThat(e.errorCode()).isEqualTo(40101);
            assertThat(e.registryMessage()).isEqualTo("Unauthorized");
            assertThat(e.isRetriable()).isFalse();
        }).hasMessageContaining("basic.auth.user.info");
    }

    @Test
    void untrustedServerCertificateIsRefused() throws Exception {
        String url = https(false, this::subjects);
        SchemaRegistryClient c = new SchemaRegistryClient(RegistryConfig.builder().url(url).basicAuth("mqtap", "p@ss:word").maxRetries(0).build());
        assertThatThrownBy(c::subjects).isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.isUnreachable()).isTrue())
            .hasMessageContaining("SSLHandshakeException");
        assertThat(authorizations).as("no credentials went to an untrusted server").isEmpty();
    }

    @Test
    void clientCertificateWhenTheRegistryDemandsOne() throws Exception {
        String url = https(true, this::subjects);
        RegistryConfig.Builder base = RegistryConfig.builder().url(url).basicAuth("mqtap", "p@ss:word").maxRetries(0)
            .trustStore(clientTrust, PW, "PKCS12");
        assertThatThrownBy(() -> new SchemaRegistryClient(base.build()).subjects()).isInstanceOf(SchemaRegistryException.class);
        SchemaRegistryClient c = new SchemaRegistryClient(base.keyStore(clientKeys, PW, null, "PKCS12").build());
        assertThat(c.subjects()).containsExactly("mq-open-events-value");
    }

    @Test
    void retriesServerErrorsWithBackoff() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        String url = http(ex -> {
            if (calls.incrementAndGet() <= 2) {
                reply(ex, 503, "{\"error_code\":50003,\"message\":\"storage not ready\"}");
            } else {
                reply(ex, 200, "{\"schema\":\"\\\"string\\\"\"}");
            }
        });
        SchemaRegistryClient c = new SchemaRegistryClient(RegistryConfig.builder().url(url).maxRetries(3)
            .retryBackoff(Duration.ofMillis(30), Duration.ofMillis(100)).build());
        long t0 = System.nanoTime();
        assertThat(c.getById(5)).isEqualTo(Schema.create(Schema.Type.STRING));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("two backoffs: ~30 ms then ~60 ms").isGreaterThanOrEqualTo(60);
        assertThat(c.requestCount()).isEqualTo(3);
        assertThat(c.getById(5)).isEqualTo(Schema.create(Schema.Type.STRING));
        assertThat(c.requestCount()).as("ids are cached").isEqualTo(3);

        calls.set(-100); // keeps failing
        assertThatThrownBy(() -> c.getById(6)).isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
            assertThat(e.httpStatus()).isEqualTo(503);
            assertThat(e.errorCode()).isEqualTo(50003);
        }).hasMessageContaining("failing").hasMessageContaining("after 4 attempts").hasMessageContaining("storage not ready");
    }

    @Test
    void notFoundIsNotRetriedAndCarriesTheErrorCode() throws Exception {
        String url = http(ex -> reply(ex, 404, "{\"error_code\":40403,\"message\":\"Schema 9 not found\"}"));
        SchemaRegistryClient c = new SchemaRegistryClient(RegistryConfig.builder().url(url).maxRetries(3).build());
        assertThatThrownBy(() -> c.getById(9)).isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
            assertThat(e.httpStatus()).isEqualTo(404);
            assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND);
            assertThat(e.isNotFound()).isTrue();
        }).hasMessageContaining("fetch schema id 9").hasMessageContaining("Schema 9 not found");
        assertThat(c.requestCount()).isEqualTo(1);
    }

    @Test
    void failsOverToTheNextUrl() throws Exception {
        String good = http(this::subjects);
        String dead = "http://127.0.0.1:" + Ports.freeLoopbackPort();
        SchemaRegistryClient c = new SchemaRegistryClient(RegistryConfig.builder().url(dead).url(good).maxRetries(1)
            .retryBackoff(Duration.ofMillis(1), Duration.ofMillis(1)).build());
        assertThat(c.subjects()).containsExactly("mq-open-events-value");
        assertThat(c.subjects()).containsExactly("mq-open-events-value");
        assertThat(c.requestCount()).as("the dead URL is tried once, then the good one sticks").isEqualTo(3);
    }

    @Test
    void slowRegistryTimesOut() throws Exception {
        String url = http(ex -> {
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            subjects(ex);
        });
        SchemaRegistryClient c = new SchemaRegistryClient(RegistryConfig.builder().url(url).maxRetries(0)
            .requestTimeout(Duration.ofMillis(200)).build());
        assertThatThrownBy(c::subjects).isInstanceOf(SchemaRegistryException.class).hasMessageContaining("HttpTimeoutException");
    }

    private void subjects(HttpExchange ex) throws IOException {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null) {
            authorizations.add(auth);
        }
        String expected = "Basic " + Base64.getEncoder().encodeToString("mqtap:p@ss:word".getBytes(StandardCharsets.UTF_8));
        if (auth != null && !auth.equals(expected)) {
            reply(ex, 401, "{\"error_code\":40101,\"message\":\"Unauthorized\"}");
        } else {
            reply(ex, 200, "[\"mq-open-events-value\"]");
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            in.readAllBytes();
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    private String http(HttpHandler handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", handler);
        s.start();
        servers.add(s);
        return "http://127.0.0.1:" + s.getAddress().getPort();
    }

    private String https(boolean needClientAuth, HttpHandler handler) throws Exception {
        HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        SSLContext ctx = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(serverKeys), PW.toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(serverTrust));
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        s.setHttpsConfigurator(new HttpsConfigurator(ctx) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = ctx.getDefaultSSLParameters();
                p.setNeedClientAuth(needClientAuth);
                params.setSSLParameters(p);
            }
        });
        s.createContext("/", handler);
        s.start();
        servers.add(s);
        return "https://127.0.0.1:" + s.getAddress().getPort();
    }

    private static KeyStore load(Path p) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p)) {
            ks.load(in, PW.toCharArray());
        }
        return ks;
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed:\n" + out);
        }
    }
}
