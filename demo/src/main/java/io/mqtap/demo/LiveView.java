package io.mqtap.demo;

import io.mqtap.records.Printable;
import io.mqtap.producer.stats.StatsReporter;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericRecord;

/**
 * What the demo shows each second: rates, totals by record type, process and outcome, losses, and the newest records of
 * every type (opens, unlinks, notifies, getsetattrs, aggregated or per-call sends and receives).
 */
final class LiveView {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
    private static final int LAST = 6;

    private final String header;
    private final boolean tty;
    private final Map<String, Long> byType = new TreeMap<>();
    private final Map<String, Long> byOutcome = new TreeMap<>();
    private final Map<String, Long> byProcess = new TreeMap<>();
    private final Deque<String> last = new ArrayDeque<>();
    private long total;
    private long totalAtLastFrame;
    private long lastFrameNanos = System.nanoTime();

    LiveView(String header, boolean tty) {
        this.header = header;
        this.tty = tty;
    }

    /** One record read back from Kafka, of any type. */
    synchronized void add(GenericRecord r) {
        total++;
        String type = r.getSchema().getName();
        byType.merge(type, 1L, Long::sum);
        Object errno = r.getSchema().getField("errno") == null ? null : r.get("errno");
        byOutcome.merge(errno == null ? "success" : errno.toString(), 1L, Long::sum);
        // comm and name are whatever a process chose: shown with control and bidi characters as \xNN, never raw
        String comm = Printable.escape(String.valueOf(r.get("comm")));
        byProcess.merge(comm, 1L, Long::sum);
        Object ts = r.get("timestamp");
        long micros = ts instanceof Instant i ? i.getEpochSecond() * 1_000_000L + i.getNano() / 1000 : (Long) ts;
        last.addLast(String.format("  %s  %-10s pid %-7s %-15s %s", TIME.format(Instant.ofEpochMilli(micros / 1000)), type,
                r.get("pid"), comm, what(type, r, errno)));
        if (last.size() > LAST) last.removeFirst();
    }

    /** The call in a few words, by record type. */
    private static String what(String type, GenericRecord r, Object errno) {
        Object ret = r.getSchema().getField("returnValue") == null ? null : r.get("returnValue");
        String result = errno != null ? "-> " + errno : "-> " + ret;
        return switch (type) {
            case "MqOpen" -> String.format("%-28s %04o  %-24s %s",
                    String.join("|", ((java.util.List<?>) r.get("flags")).stream().map(Object::toString).toList()), (Integer) r.get("mode"),
                    quoted(r.get("name")), (Long) ret >= 0 ? "-> fd " + ret : result);
            case "MqUnlink" -> String.format("%-24s %s", quoted(r.get("name")), result);
            case "MqNotify" -> String.format("fd %-4s %-8s %-16s %s", r.get("mqdes"), r.get("notification"), queue(r), result);
            case "MqSetAttr" -> String.format("fd %-4s %-8s %-16s %s", r.get("mqdes"),
                    r.get("newFlags") == null ? "getattr" : "setattr " + r.get("newFlags"), queue(r), result);
            case "MqTransfer" -> String.format("fd %-4s %-8s %5s B %-16s %s", r.get("mqdes"), r.get("call"), r.get("size"), queue(r), result);
            case "MqAccess" -> Boolean.TRUE.equals(r.get("overflow"))
                    ? String.format("%-8s %d calls, %d B (overflow: the kernel's map was full)", r.get("call"), (Long) r.get("calls"), (Long) r.get("bytes"))
                    : String.format("%-8s %d calls, %d B on %s, errors %s", r.get("call"), (Long) r.get("calls"), (Long) r.get("bytes"),
                    queue(r), r.get("errors"));
            default -> "";
        };
    }

    private static String queue(GenericRecord r) {
        Object k = r.get("kernelName");
        return k == null ? "(no queue)" : Printable.escape(abbreviate(k.toString()));
    }

    private static String quoted(Object name) {
        return "\"" + Printable.escape(abbreviate(String.valueOf(name))) + "\"";
    }

    synchronized long total() {
        return total;
    }

    /** Draws one frame: the whole screen on a terminal, one status line otherwise. */
    synchronized void render(PrintStream out, StatsReporter.Counters c) {
        long now = System.nanoTime();
        double rate = (total - totalAtLastFrame) / Math.max(1e-3, (now - lastFrameNanos) / 1e9);
        totalAtLastFrame = total;
        lastFrameNanos = now;
        String counters = String.format("events/s %6.0f   read back %d   captured %d   published %d   kernel-lost %d   dropped %d   failed %d",
                rate, total, c.captured(), c.published(), c.lostKernel(), c.dropped(), c.failed());
        if (!tty) {
            out.println(counters);
            out.flush();
            return;
        }
        StringBuilder sb = new StringBuilder("\033[H\033[2J");
        sb.append(header).append("\n\n").append(counters).append("\n\n");
        sb.append("by record:   ").append(top(byType)).append('\n');
        sb.append("by outcome:  ").append(top(byOutcome)).append('\n');
        sb.append("by process:  ").append(top(byProcess)).append("\n\n");
        sb.append("newest records (read back from Kafka, decoded through the registry):\n");
        last.forEach(l -> sb.append(l).append('\n'));
        out.print(sb);
        out.flush();
    }

    /** Final counters, printed once at the end. */
    synchronized String summary(StatsReporter.Counters c) {
        // records captured but neither acknowledged nor counted as lost were still in the demo's spool, removed with it
        long unsent = Math.max(0, c.captured() - c.published() - c.dropped() - c.failed());
        return String.format("mqtap demo stopped: captured %d, published %d, read back %d, kernel-lost %d, dropped %d, failed %d%s; by record: %s; by outcome: %s",
                c.captured(), c.published(), total, c.lostKernel(), c.dropped(), c.failed(),
                unsent == 0 ? "" : ", unsent " + unsent + " (left in the demo's spool, which is removed with its directory)",
                top(byType), top(byOutcome));
    }

    private static String top(Map<String, Long> counts) {
        Map<String, Long> sorted = counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .limit(8).collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
        return sorted.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("   "));
    }

    private static String abbreviate(String s) {
        return s.length() <= 22 ? s : s.substring(0, 19) + "...";
    }
}
