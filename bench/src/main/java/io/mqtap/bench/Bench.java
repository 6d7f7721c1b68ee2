package io.mqtap.bench;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * {@code ./mqtap bench <name> [args]}: runs {@code io.mqtap.bench.<name>.<Name>Bench.main(args)}.
 * capture is wired directly; the others are found by name, so a new benchmark needs no edit here.
 */
public final class Bench {
    private Bench() {}

    static final String USAGE = """
            usage: ./mqtap bench <capture|serde|pipeline|faults|soak|kernel|fleet> [args]
              capture   mq_open calls/s untraced vs. traced by mqtap's Java reader (no Kafka); see BENCHMARKS.md
              kernel    each attach mode on this kernel: attach ok/unsupported/FAIL, calls, received, lost
              fleet     N simulated hosts on a 3-node cluster and a registry: cost per host, restart storm, read back
              serde, pipeline, faults, soak: see BENCHMARKS.md""";

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println(USAGE);
            System.exit(2);
        }
        String what = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (what.equals("capture")) {
            io.mqtap.bench.capture.CaptureBench.main(rest);
            return;
        }
        Method main = find(what);
        if (main == null) {
            System.err.println("unknown benchmark '" + what + "'\n" + USAGE);
            System.exit(2);
        }
        try {
            main.invoke(null, (Object) rest);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception ex) throw ex;
            throw e;
        }
    }

    /** io.mqtap.bench.serde.SerdeBench.main(String[]) for "serde"; null when there is none. */
    static Method find(String name) {
        if (!name.matches("[a-z][a-z0-9]*")) return null;
        String cls = "io.mqtap.bench." + name + "." + Character.toUpperCase(name.charAt(0)) + name.substring(1) + "Bench";
        try {
            return Class.forName(cls).getMethod("main", String[].class);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            return null;
        }
    }
}
