package io.mqtap.producer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away CA and one server certificate for 127.0.0.1, made with the JDK's keytool: PKCS12 key and trust
 * stores for Kafka and the JVM clients, and PEM copies (via openssl) for nginx.
 */
final class TestCertificates {
    final Path dir;
    final String storePassword = "store-" + UUID.randomUUID();
    /** The server's key and certificate chain (CA-signed, SAN IP:127.0.0.1). */
    final Path serverKeyStore;
    /** Trusts only the test CA. */
    final Path trustStore;
    final Path serverCertPem;
    final Path serverKeyPem;

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.serverKeyStore = dir.resolve("server.p12");
        this.trustStore = dir.resolve("truststore.p12");
        this.serverCertPem = dir.resolve("server.crt.pem");
        this.serverKeyPem = dir.resolve("server.key.pem");
    }

    static TestCertificates create(Path dir) throws IOException, InterruptedException {
        TestCertificates c = new TestCertificates(dir);
        String pw = c.storePassword;
        Path ca = dir.resolve("ca.p12");
        String ks = c.serverKeyStore.toString();
        // EC keys: generated in milliseconds, unlike RSA
        keytool("-genkeypair", "-alias", "ca", "-dname", "CN=mqtap test CA", "-keyalg", "EC", "-groupname", "secp256r1",
                "-ext", "bc:c", "-validity", "2", "-keystore", ca.toString(), "-storepass", pw);
        keytool("-genkeypair", "-alias", "server", "-dname", "CN=127.0.0.1", "-keyalg", "EC", "-groupname", "secp256r1",
                "-validity", "2", "-keystore", ks, "-storepass", pw);
        keytool("-certreq", "-alias", "server", "-keystore", ks, "-storepass", pw, "-file", dir.resolve("server.csr").toString());
        keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pw, "-validity", "2", "-rfc",
                "-infile", dir.resolve("server.csr").toString(), "-outfile", dir.resolve("server.crt").toString(),
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext", "eku=serverAuth");
        keytool("-exportcert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pw, "-rfc", "-file", dir.resolve("ca.crt").toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", dir.resolve("ca.crt").toString(), "-keystore", ks, "-storepass", pw);
        keytool("-importcert", "-noprompt", "-alias", "server", "-file", dir.resolve("server.crt").toString(), "-keystore", ks, "-storepass", pw);
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", dir.resolve("ca.crt").toString(),
                "-keystore", c.trustStore.toString(), "-storepass", pw);
        // nginx: the leaf then the CA, and the key, in PEM
        Files.writeString(c.serverCertPem, Files.readString(dir.resolve("server.crt")) + Files.readString(dir.resolve("ca.crt")));
        run(List.of("openssl", "pkcs12", "-in", ks, "-nocerts", "-nodes", "-passin", "env:MQTAP_TEST_STORE_PW",
                "-out", c.serverKeyPem.toString()), pw);
        return c;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storetype", "PKCS12"));
        run(cmd, null);
    }

    private static void run(List<String> cmd, String storePassword) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (storePassword != null) pb.environment().put("MQTAP_TEST_STORE_PW", storePassword);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("Failed to run " + cmd.get(0) + " " + cmd.get(1) + ": " + new String(out, StandardCharsets.UTF_8));
        }
    }
}
