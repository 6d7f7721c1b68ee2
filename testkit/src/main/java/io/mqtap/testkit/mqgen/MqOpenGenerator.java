package io.mqtap.testkit.mqgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs mq_open_gen, the benchmark and demo generator, and parses its result line
 * {@code calls=<N> elapsed_ns=<T> calls_per_sec=<R> ok=<n> errors=<n>}.
 */
public final class MqOpenGenerator {
    private MqOpenGenerator() {}

    public record Result(long pid, long calls, long elapsedNs, double callsPerSec, long ok, long errors) {}

    /** Options of one run; 0 means "not given". With {@code openatPath}, each call opens and closes that file instead. */
    public record Options(long calls, long ratePerSec, long durationMillis, String name, boolean varied, String openatPath,
                          boolean create) {
        public Options(long calls, long ratePerSec, long durationMillis, String name, boolean varied) {
            this(calls, ratePerSec, durationMillis, name, varied, null, false);
        }

        public static Options burst(long calls) {
            return new Options(calls, 0, 0, null, false);
        }

        /** {@code calls} openat(O_RDONLY) + close of a file, as fast as one thread can. */
        public static Options openatBurst(long calls, String path) {
            return new Options(calls, 0, 0, null, false, path, false);
        }

        /** {@code calls} successful mq_open + close of one queue the generator creates first. */
        public static Options successBurst(long calls) {
            return new Options(calls, 0, 0, null, false, null, true);
        }

        List<String> args() {
            List<String> a = new ArrayList<>();
            if (calls > 0) { a.add("--calls"); a.add(Long.toString(calls)); }
            if (ratePerSec > 0) { a.add("--rate"); a.add(Long.toString(ratePerSec)); }
            if (durationMillis > 0) { a.add("--duration-ms"); a.add(Long.toString(durationMillis)); }
            if (name != null) { a.add("--name"); a.add(name); }
            if (varied) a.add("--varied");
            if (openatPath != null) { a.add("--openat"); a.add(openatPath); }
            if (create) a.add("--create");
            return a;
        }
    }

    /** Starts the generator; the caller reads the result with {@link #await(Process)}. */
    public static Process start(Options o) throws IOException {
        return start(o, MqGen.binary(MqGen.GENERATOR));
    }

    /** Starts the generator through {@code binary}: a link to it under a name of the caller's runs under that comm. */
    public static Process start(Options o, java.nio.file.Path binary) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.addAll(o.args());
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    public static Result await(Process p) throws IOException, InterruptedException {
        byte[] out = p.getInputStream().readAllBytes();
        int rc = p.waitFor();
        String text = new String(out, StandardCharsets.UTF_8).trim();
        if (rc != 0) throw new IOException("mq_open_gen exited " + rc + ": " + text);
        return parse(p.pid(), text);
    }

    public static Result run(Options o) throws IOException, InterruptedException {
        return await(start(o));
    }

    static Result parse(long pid, String text) {
        String[] lines = text.split("\n");
        Map<String, String> kv = new HashMap<>();
        for (String w : lines[lines.length - 1].trim().split("\\s+")) {
            int eq = w.indexOf('=');
            if (eq > 0) kv.put(w.substring(0, eq), w.substring(eq + 1));
        }
        try {
            return new Result(pid, Long.parseLong(kv.get("calls")), Long.parseLong(kv.get("elapsed_ns")),
                    Double.parseDouble(kv.get("calls_per_sec")), Long.parseLong(kv.get("ok")),
                    Long.parseLong(kv.get("errors")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unexpected mq_open_gen output: " + text, e);
        }
    }
}
