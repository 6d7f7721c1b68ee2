package io.mqtap.bench.capture;

import io.mqtap.capture.AttachMode;
import io.mqtap.capture.ProbeFeature;
import io.mqtap.capture.ProbeOptions;
import io.mqtap.capture.Transport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * jni's mqtap_c_reader (a plain C reader of the same BPF object, through the same capture core, with no
 * JVM) as a child process: started with the same options as mqtap's reader, asked after a burst how many
 * events of the generator it received and how many the probe counted lost.
 */
final class CReader implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final OutputStream in;

    /** The reader's result for one pid. */
    record Report(long received, long lost) {}

    private CReader(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = process.getOutputStream();
    }

    /** Where the build puts it (jni/target/bin), under -Dmqtap.root or the working directory's parents. */
    static Path binary() {
        String root = System.getProperty("mqtap.root");
        List<Path> tried = new ArrayList<>();
        for (Path dir = root != null ? Path.of(root) : Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("jni/target/bin/mqtap_c_reader");
            if (Files.isExecutable(p)) return p;
            tried.add(p);
            if (root != null) break;
        }
        throw new IllegalStateException("mqtap_c_reader is not built (./mqtap build); looked in " + tried);
    }

    /** Starts it with the hook set mqtap attached and the same buffer settings; returns once it is attached. */
    static CReader start(ProbeOptions o, AttachMode set) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary().toString(), "--set", set.label(),
                "--wakeup", Integer.toString(o.wakeupBytes()), "--drain-ms", Integer.toString(o.drainIntervalMillis()),
                "--staging", Integer.toString(o.stagingEvents())));
        if (o.transport() == Transport.RING_BUFFER) cmd.addAll(List.of("--ring", Integer.toString(o.ringBufferBytes())));
        else cmd.addAll(List.of("--pages", Integer.toString(o.perCpuPages())));
        if (!o.compat32Hooks()) cmd.addAll(List.of("--without", Integer.toString(ProbeFeature.COMPAT32_HOOKS.bit())));
        CReader r = new CReader(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        String ready = r.line(60);
        if (ready == null || !ready.startsWith("ready")) {
            r.close();
            throw new IOException("mqtap_c_reader did not attach: " + ready);
        }
        return r;
    }

    /** Events of {@code pid} received so far (after draining what is buffered), and the probe's lost total. */
    Report report(long pid) throws IOException, InterruptedException {
        in.write(("report " + pid + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        String line = line(60);
        if (line == null) throw new IOException("mqtap_c_reader gave no report");
        Map<String, String> kv = new HashMap<>();
        for (String w : line.trim().split("\\s+")) {
            int eq = w.indexOf('=');
            if (eq > 0) kv.put(w.substring(0, eq), w.substring(eq + 1));
        }
        return new Report(Long.parseLong(kv.get("received")), Long.parseLong(kv.get("lost")));
    }

    private String line(int seconds) throws InterruptedException {
        CompletableFuture<String> f = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        try {
            return f.get(seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return null;
        }
    }

    /** Closing its stdin ends it; it is killed (by its own pid) if it does not end within 10 s. */
    @Override
    public void close() throws InterruptedException {
        try {
            in.close();
        } catch (IOException ignored) {
            // already gone
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
