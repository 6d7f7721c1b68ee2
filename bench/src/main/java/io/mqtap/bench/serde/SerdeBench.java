package io.mqtap.bench.serde;

import io.mqtap.bench.BenchArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.sourceforge.argparse4j.inf.ArgumentParser;
import net.sourceforge.argparse4j.inf.Namespace;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code ./mqtap bench serde}: runs {@link SerdeBenchmark} with a short, bounded JMH config and prints, as its
 * last line, {@code serde-ratio=<framed/plain median ns> framed-ns=.. plain-ns=.. framed-alloc-bytes=..
 * plain-alloc-bytes=.. best-ratio=<framed/plain fastest iteration> framed-best-ns=.. plain-best-ns=..}.
 *
 * <p>The two benchmarks run in alternating forks (framed, plain, then plain, framed, ...), so a burst of load
 * from other processes on a shared machine does not land on one side only; ns/op are the median over all
 * measurement iterations, and the best-iteration ratio is given too, since other processes only ever add time.
 *
 * <p>Options: {@code --rounds N} (2: forks per benchmark), {@code --warmup N} (3), {@code --iterations N} (5),
 * {@code --seconds S} (1 per iteration). The defaults take about 70 s.
 */
public final class SerdeBench {
    private SerdeBench() {}

    public static void main(String[] args) throws RunnerException {
        ArgumentParser parser = BenchArgs.parser("serde", "framed MqOpen serialization vs. plain SpecificDatumWriter (JMH)");
        parser.addArgument("--rounds", "--forks").dest("rounds").metavar("N").type(Integer.class).setDefault(2)
                .help("forks per benchmark (default 2)");
        parser.addArgument("--warmup").metavar("N").type(Integer.class).setDefault(3).help("warm-up iterations (default 3)");
        parser.addArgument("--iterations").metavar("N").type(Integer.class).setDefault(5).help("measured iterations (default 5)");
        parser.addArgument("--seconds").metavar("S").type(Integer.class).setDefault(1).help("seconds per iteration (default 1)");
        Namespace ns = parser.parseArgsOrFail(args);
        int rounds = ns.getInt("rounds");
        int warmups = ns.getInt("warmup");
        int iterations = ns.getInt("iterations");
        int seconds = ns.getInt("seconds");
        Side framed = new Side("framed");
        Side plain = new Side("plain");
        for (int round = 0; round < rounds; round++) {
            Side first = round % 2 == 0 ? framed : plain;
            Side second = first == framed ? plain : framed;
            for (Side side : List.of(first, second)) {
                ChainedOptionsBuilder opts = new OptionsBuilder()
                    .include(SerdeBenchmark.class.getName() + "\\." + side.method + "$")
                    .forks(1)
                    .warmupIterations(warmups)
                    .warmupTime(TimeValue.seconds(seconds))
                    .measurementIterations(iterations)
                    .measurementTime(TimeValue.seconds(seconds))
                    .threads(1)
                    .addProfiler(GCProfiler.class)
                    .jvmArgsAppend("-Xms512m", "-Xmx512m");
                String root = System.getProperty("mqtap.root");
                if (root != null) {
                    opts.jvmArgsAppend("-Dmqtap.root=" + root); // where the forked JVM finds the registry to start
                }
                for (RunResult r : new Runner(opts.build()).run()) {
                    side.add(r);
                }
            }
        }
        for (Side side : List.of(framed, plain)) {
            if (side.scores.isEmpty()) {
                throw new IllegalStateException("JMH returned no score for " + side.method + "; see its output above");
            }
            System.out.printf(Locale.ROOT, "%-6s median %.1f ns/op, best iteration %.1f ns/op, %.0f B/op allocated, over %d iterations%n",
                side.method, side.median(), side.best(), side.alloc(), side.scores.size());
        }
        System.out.printf(Locale.ROOT, "serde-ratio=%.3f framed-ns=%.1f plain-ns=%.1f framed-alloc-bytes=%.0f plain-alloc-bytes=%.0f"
            + " best-ratio=%.3f framed-best-ns=%.1f plain-best-ns=%.1f%n",
            framed.median() / plain.median(), framed.median(), plain.median(), framed.alloc(), plain.alloc(),
            framed.best() / plain.best(), framed.best(), plain.best());
    }

    /** The measurement iterations and allocation figures of one benchmark method, over all its forks. */
    private static final class Side {
        final String method;
        final List<Double> scores = new ArrayList<>();
        final List<Double> allocs = new ArrayList<>();

        Side(String method) {
            this.method = method;
        }

        void add(RunResult r) {
            for (BenchmarkResult b : r.getBenchmarkResults()) {
                for (IterationResult i : b.getIterationResults()) {
                    scores.add(i.getPrimaryResult().getScore());
                }
            }
            for (var e : r.getSecondaryResults().entrySet()) {
                if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                    Result<?> res = e.getValue();
                    allocs.add(res.getScore());
                }
            }
        }

        /** The median iteration: a burst of load from other processes moves it less than it moves the mean. */
        double median() {
            double[] v = scores.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }

        double best() {
            return scores.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        }

        double alloc() {
            return allocs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }
    }
}
