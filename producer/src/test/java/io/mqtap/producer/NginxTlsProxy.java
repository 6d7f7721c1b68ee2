package io.mqtap.producer;

import static org.awaitility.Awaitility.await;

import io.mqtap.testkit.Ports;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * nginx (Debian's nginx-light) as a TLS-terminating reverse proxy with HTTP basic auth on 127.0.0.1, in front of
 * a plain-HTTP server: its own config, pid, logs and temp dirs under one directory, run in the foreground as a
 * child of this JVM and stopped by its pid. The system's nginx service is never touched.
 */
final class NginxTlsProxy implements AutoCloseable {
    static final Path NGINX = Path.of("/usr/sbin/nginx");

    final int port;
    final Path dir;
    private final Process process;

    private NginxTlsProxy(int port, Path dir, Process process) {
        this.port = port;
        this.dir = dir;
        this.process = process;
    }

    static boolean installed() {
        return Files.isExecutable(NGINX);
    }

    /** Proxies https://127.0.0.1:{port}/ to http://127.0.0.1:{backendPort}/ for {@code user:password} only. */
    static NginxTlsProxy start(Path dir, TestCertificates certs, int backendPort, String user, String password)
            throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("tmp"));
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, user + ":" + apr1(password) + "\n");
        int port = Ports.freeLoopbackPort();
        String d = dir.toString();
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, """
                daemon off;
                master_process off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 64; }
                http {
                    access_log %1$s/access.log;
                    client_body_temp_path %1$s/tmp/body;
                    proxy_temp_path %1$s/tmp/proxy;
                    fastcgi_temp_path %1$s/tmp/fastcgi;
                    uwsgi_temp_path %1$s/tmp/uwsgi;
                    scgi_temp_path %1$s/tmp/scgi;
                    server {
                        listen 127.0.0.1:%2$d ssl;
                        ssl_certificate %3$s;
                        ssl_certificate_key %4$s;
                        ssl_protocols TLSv1.2 TLSv1.3;
                        auth_basic "mqtap test registry";
                        auth_basic_user_file %5$s;
                        location / {
                            proxy_pass http://127.0.0.1:%6$d;
                            proxy_set_header Authorization "";
                            proxy_set_header Host $host;
                        }
                    }
                }
                """.formatted(d, port, certs.serverCertPem, certs.serverKeyPem, htpasswd, backendPort));
        Process p = new ProcessBuilder(NGINX.toString(), "-p", d, "-c", conf.toString(), "-e", dir.resolve("error.log").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        NginxTlsProxy proxy = new NginxTlsProxy(port, dir, p);
        proxy.awaitListening();
        return proxy;
    }

    /** The registry's Confluent-compatible API through the proxy. */
    String url(String path) {
        return "https://127.0.0.1:" + port + path;
    }

    private void awaitListening() throws IOException {
        try {
            await("nginx listening").atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                    .failFast("nginx exited", () -> !process.isAlive()).until(this::accepts);
        } catch (org.awaitility.core.ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
            close();
            throw new IllegalStateException("nginx did not listen on 127.0.0.1:" + port + ": " + log(), e);
        }
    }

    private boolean accepts() {
        try (var s = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String log() throws IOException {
        Path err = dir.resolve("error.log");
        return Files.readString(dir.resolve("stdout.log")) + (Files.exists(err) ? Files.readString(err) : "");
    }

    /** An Apache MD5 (apr1) password hash, as htpasswd files hold them, from openssl. */
    private static String apr1(String password) throws IOException, InterruptedException {
        // the password goes through stdin, not the command line
        Process p = new ProcessBuilder("openssl", "passwd", "-apr1", "-stdin").redirectErrorStream(true).start();
        p.getOutputStream().write((password + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.startsWith("$apr1$")) {
            throw new IllegalStateException("openssl passwd -apr1 failed: " + out);
        }
        return out;
    }

    /** SIGTERM to nginx's own pid (fast shutdown), then SIGKILL if it lingers. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
