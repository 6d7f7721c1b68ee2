package io.mqtap.testkit.mqgen;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs mq_open_helper with a script (one step per string, see mqgen/mq_open_helper.c for the
 * words) and parses its JSON lines.
 *
 * <pre>{@code
 * HelperRun run = MqOpenHelper.run("name=q1 oflag=RDWR|CREAT mode=0600", "name=q1 oflag=RDWR|CREAT|EXCL");
 * }</pre>
 */
public final class MqOpenHelper {
    /** Every field of a call or summary line must be there, and nothing unknown: the C program and this agree. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private MqOpenHelper() {}

    /** What one helper run did. {@code pid} is the helper process; steps with {@code as=} run in children. */
    public record HelperRun(long pid, List<HelperCall> calls, List<HelperSummary> summaries, String stderr) {
        /** Calls summed over every step, including quiet ones. */
        public long totalCalls() {
            return calls.size() + summaries.stream().mapToLong(HelperSummary::calls).sum();
        }
    }

    public static HelperRun run(String... steps) throws IOException, InterruptedException {
        return run(Duration.ofSeconds(60), List.of(steps));
    }

    public static HelperRun run(Duration timeout, List<String> steps) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(MqGen.binary(MqGen.HELPER).toString()).start();
        p.getOutputStream().write((String.join("\n", steps) + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errPump = pump(p.getErrorStream(), err);
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException("mq_open_helper did not finish within " + timeout);
        }
        errPump.join();
        String stderr = err.toString(StandardCharsets.UTF_8);
        if (p.exitValue() != 0)
            throw new IOException("mq_open_helper exited " + p.exitValue() + ": " + stderr);
        List<HelperCall> calls = new ArrayList<>();
        List<HelperSummary> summaries = new ArrayList<>();
        for (String line : new String(out, StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) continue;
            JsonNode m = JSON.readTree(line);
            if (m.path("summary").asBoolean()) summaries.add(JSON.treeToValue(m, HelperSummary.class));
            else calls.add(JSON.treeToValue(m, HelperCall.class));
        }
        return new HelperRun(p.pid(), calls, summaries, stderr);
    }

    static Thread pump(InputStream in, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            try {
                in.transferTo(to);
            } catch (IOException ignored) {
                // the process went away: what was read is kept
            }
        }, "mqgen-stderr");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
