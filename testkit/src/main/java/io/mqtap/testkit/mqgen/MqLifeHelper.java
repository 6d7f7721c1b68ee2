package io.mqtap.testkit.mqgen;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs mq_life_helper with a script (one step per string; see mqgen/mq_life_helper.c for the words) and parses its
 * JSON lines: the ground truth of what a queue's life did, call by call or in sums.
 *
 * <pre>{@code
 * LifeRun run = MqLifeHelper.run("open q name=orders oflag=RDWR|CREAT", "send q size=64", "receive q", "unlink name=orders");
 * }</pre>
 */
public final class MqLifeHelper {
    /** Every field must be there and nothing unknown: the C program and this agree. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private MqLifeHelper() {}

    /** What one run did; {@code pid} is the helper process (steps between {@code as} and {@code end} run in children). */
    public record LifeRun(long pid, List<LifeCall> calls, List<LifeSummary> summaries, String stderr) {
        /** The printed calls of one kind ("send", "unlink", ...). */
        public List<LifeCall> calls(String call) {
            return calls.stream().filter(c -> c.call().equals(call)).toList();
        }

        /** Every call of one kind, printed or summed by a quiet step. */
        public long count(String call) {
            return calls(call).size() + summaries.stream().filter(s -> s.call().equals(call)).mapToLong(LifeSummary::calls).sum();
        }
    }

    /**
     * A short life that makes every call after the open, succeeding and failing (EMSGSIZE, EAGAIN, EBADF on a
     * descriptor that is not open, ENOENT), on a queue named {@code name}: 5 sends, 5 receives, 3 notifies,
     * 3 getsetattrs, 2 unlinks.
     */
    public static List<String> everyCall(String name) {
        return List.of("umask=0", "open q name=" + name + " oflag=RDWR|CREAT|NONBLOCK attr=4,64",
                "send q size=10 repeat=3 quiet", "send q size=100", "receive q size=64 repeat=4 quiet",
                "getattr q", "setattr q nonblock=0", "notify q kind=signal", "notify q kind=remove",
                "fd b badfd", "send b", "receive b", "notify b kind=remove", "getattr b",
                "unlink name=" + name, "unlink name=" + name);
    }

    public static LifeRun run(String... steps) throws IOException, InterruptedException {
        return run(Duration.ofSeconds(60), List.of(steps));
    }

    public static LifeRun run(Duration timeout, List<String> steps) throws IOException, InterruptedException {
        return run(timeout, steps, MqGen.binary(MqGen.LIFE_HELPER).toString());
    }

    /** As {@link #run(Duration, List)} with another copy of the program (a different comm, for filters). */
    public static LifeRun run(Duration timeout, List<String> steps, String program) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(program).start();
        p.getOutputStream().write((String.join("\n", steps) + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errPump = MqOpenHelper.pump(p.getErrorStream(), err);
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException("mq_life_helper did not finish within " + timeout);
        }
        errPump.join();
        String stderr = err.toString(StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new IOException("mq_life_helper exited " + p.exitValue() + ": " + stderr);
        List<LifeCall> calls = new ArrayList<>();
        List<LifeSummary> summaries = new ArrayList<>();
        for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) continue;
            JsonNode m = JSON.readTree(line);
            if (m.path("summary").asBoolean()) summaries.add(JSON.treeToValue(m, LifeSummary.class));
            else calls.add(JSON.treeToValue(m, LifeCall.class));
        }
        return new LifeRun(p.pid(), calls, summaries, stderr);
    }
}
