package io.mqtap.testkit.registry;

import io.mqtap.testkit.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Schema Registry for tests and the demo: Apicurio Registry 2.6 (unpacked by testkit's pom into
 * {@code testkit/target/apicurio}) run as a child JVM bound to 127.0.0.1, with in-memory storage and a
 * global BACKWARD compatibility rule. Clients use its Confluent-compatible API at {@link #url()}.
 *
 * <p>Storage is in memory: {@link #restart()} keeps the port but forgets every schema. The child is
 * stopped by its own pid on {@link #stop()}, {@link #close()} and JVM exit, and a watchdog shell around it
 * ends it within a second or two if this JVM dies without running its shutdown hooks.
 */
public final class SchemaRegistryServer implements AutoCloseable {
    /** Where the Confluent-compatible API lives under the server's root. */
    public static final String CCOMPAT_PATH = "/apis/ccompat/v7";
    private static final String RUNNER_JAR = "apicurio-registry-app-2.6.13.Final-runner.jar";
    private static final Pattern LISTENING = Pattern.compile("Listening on: http://127\\.0\\.0\\.1:(\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static SchemaRegistryServer shared;

    private final Path home;
    private final Path logDir;
    private int port;
    private Process process;
    private Path logFile;
    private int starts;

    private SchemaRegistryServer(Path home, int port) {
        this.home = home;
        this.port = port;
        this.logDir = home.getParent().resolve("registry-logs");
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "schema-registry-stop"));
    }

    /** Starts a registry on a free port (chosen by the server itself). */
    public static SchemaRegistryServer start() {
        SchemaRegistryServer s = new SchemaRegistryServer(findHome(), 0);
        s.launch();
        return s;
    }

    /** A registry that is not running yet, on a port that was free a moment ago: {@link #url()} works, the server starts with {@link #restart()}. */
    public static SchemaRegistryServer notStarted() {
        return new SchemaRegistryServer(findHome(), Ports.freeLoopbackPort());
    }

    /** One registry per test JVM, started on first use, stopped when the JVM exits. */
    public static synchronized SchemaRegistryServer shared() {
        if (shared == null || !shared.isRunning()) {
            shared = start();
        }
        return shared;
    }

    /** The Confluent-compatible REST API, e.g. {@code http://127.0.0.1:40123/apis/ccompat/v7}. */
    public String url() {
        if (port == 0) {
            throw new IllegalStateException("the registry has not started yet, so its port is unknown");
        }
        return "http://127.0.0.1:" + port + CCOMPAT_PATH;
    }

    /** Apicurio's own v2 REST API (what Apicurio's serdes and converters talk to), e.g. {@code http://127.0.0.1:40123/apis/registry/v2}. */
    public String coreApiUrl() {
        return url().replace(CCOMPAT_PATH, "/apis/registry/v2");
    }

    public int port() {
        return port;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The child's pid, or -1 when it is not running. */
    public synchronized long pid() {
        return isRunning() ? process.pid() : -1;
    }

    /** The current (or last) child's combined stdout and stderr. */
    public synchronized Path logFile() {
        return logFile;
    }

    /** Kills the child by its pid (SIGTERM, then SIGKILL after 10 s) and waits for it; idempotent. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        Process p = process;
        process = null;
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the registry if it runs and starts it again on the same port (with empty storage). */
    public synchronized void restart() {
        stop();
        launch();
    }

    @Override
    public void close() {
        stop();
    }

    private synchronized void launch() {
        if (isRunning()) {
            return;
        }
        try {
            Files.createDirectories(logDir);
            logFile = logDir.resolve("registry-" + ProcessHandle.current().pid() + "-" + System.identityHashCode(this) + "-" + (++starts) + ".log");
            List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                // both HTTP endpoints listen on every address by default
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dregistry.rules.global.compatibility=BACKWARD",
                "-Dquarkus.log.console.color=false",
                "-jar", home.resolve(RUNNER_JAR).toString()));
            process = new ProcessBuilder(withWatchdog(cmd)).directory(home.toFile()).redirectErrorStream(true).start();
            int bound = awaitListening(process, logFile);
            if (port != 0 && bound != port) {
                throw new IllegalStateException("the registry bound port " + bound + " instead of " + port);
            }
            port = bound;
            awaitApi();
        } catch (IOException e) {
            stop();
            throw new UncheckedIOException("Failed to start the Schema Registry (Apicurio) from " + home, e);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    /**
     * Runs the registry under a small shell that kills it when this JVM is gone (even after SIGKILL, when no
     * shutdown hook runs) or when the shell itself is told to stop; so {@link #stop()} signals the shell's pid.
     */
    private static List<String> withWatchdog(List<String> cmd) {
        StringBuilder java = new StringBuilder();
        for (String arg : cmd) {
            java.append('\'').append(arg.replace("'", "'\\''")).append("' ");
        }
        String script = java + "& c=$!\n"
            + "trap 'kill $c 2>/dev/null; wait $c; exit 0' TERM INT\n"
            + "while kill -0 " + ProcessHandle.current().pid() + " 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 1; done\n"
            + "kill $c 2>/dev/null; wait $c\n";
        return List.of("/bin/sh", "-c", script);
    }

    /** Copies the child's output to the log file, and returns the port from its "Listening on" line. */
    private static int awaitListening(Process p, Path log) throws IOException {
        CompletableFuture<Integer> ready = new CompletableFuture<>();
        Deque<String> tail = new ArrayDeque<>();
        Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
        Thread pump = new Thread(() -> {
            try (out; BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    out.write(line);
                    out.write('\n');
                    out.flush();
                    if (!ready.isDone()) {
                        synchronized (tail) {
                            tail.addLast(line);
                            if (tail.size() > 20) {
                                tail.removeFirst();
                            }
                        }
                        Matcher m = LISTENING.matcher(line);
                        if (m.find()) {
                            ready.complete(Integer.parseInt(m.group(1)));
                        }
                    }
                }
            } catch (IOException ignored) {
                // the child went away; the exit check below reports it
            }
            synchronized (tail) {
                ready.completeExceptionally(new IllegalStateException("the registry exited with status "
                    + p.onExit().join().exitValue() + " before listening; last lines:\n" + String.join("\n", tail)));
            }
        }, "schema-registry-log");
        pump.setDaemon(true);
        pump.start();
        try {
            return ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the registry did not report \"Listening on\" within " + START_TIMEOUT.toSeconds() + " s; see " + log);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Failed to start the Schema Registry: " + e.getCause().getMessage() + "\n(log: " + log + ")", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the registry to start", e);
        }
    }

    /** Waits until the Confluent-compatible API answers, not just the socket. */
    private void awaitApi() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/subjects")).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode() + ": " + r.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the registry to answer", e);
            }
            if (!isRunning()) {
                throw new IllegalStateException("the registry exited while starting; see " + logFile);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the registry to answer", e);
            }
        }
        throw new IllegalStateException("the registry's API at " + url() + " did not answer within " + START_TIMEOUT.toSeconds() + " s: " + last);
    }

    /**
     * The unpacked Apicurio app: {@code -Dmqtap.apicurio.home}, else {@code <mqtap.root>/testkit/target/apicurio},
     * else the same path found by walking up from the working directory.
     */
    static Path findHome() {
        List<Path> tried = new ArrayList<>();
        String explicit = System.getProperty("mqtap.apicurio.home");
        if (explicit != null) {
            Path p = Path.of(explicit);
            if (Files.isRegularFile(p.resolve(RUNNER_JAR))) {
                return p.toAbsolutePath();
            }
            tried.add(p);
        }
        String root = System.getProperty("mqtap.root");
        if (root != null) {
            Path p = Path.of(root, "testkit", "target", "apicurio");
            if (Files.isRegularFile(p.resolve(RUNNER_JAR))) {
                return p.toAbsolutePath();
            }
            tried.add(p);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("testkit").resolve("target").resolve("apicurio");
            if (Files.isRegularFile(p.resolve(RUNNER_JAR))) {
                return p;
            }
        }
        tried.add(Path.of("<each parent of " + Path.of("").toAbsolutePath() + ">/testkit/target/apicurio"));
        throw new IllegalStateException("Apicurio Registry (" + RUNNER_JAR + ") not found; looked in " + tried
            + ". Build the testkit module first: mvn -pl testkit install -DskipTests");
    }
}
