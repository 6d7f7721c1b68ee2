package io.mqtap.producer.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mqtap.producer.MqTapConfiguration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the configuration file (on SIGHUP) and applies, while running, what can change without a restart:
 * each {@link Part} owns a path prefix ({@code capture.filters}, {@code thresholds}, ...). Every other changed
 * setting is named in the log as needing a restart, and is not applied. A file that no longer validates
 * changes nothing; the log says why, naming the key. Values are never logged (some are secrets).
 */
public final class ConfigReload {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigReload.class);

    /** Reads and validates the file again, as at start. */
    @FunctionalInterface
    public interface Source {
        MqTapConfiguration read() throws Exception;
    }

    /** Applies the settings under {@code prefix} (a dotted path) from a new configuration to the running service. */
    public record Part(String prefix, String how, Applier apply) {}

    @FunctionalInterface
    public interface Applier {
        void apply(MqTapConfiguration next) throws Exception;
    }

    /** What one reload did: settings applied, settings that need a restart, or why nothing was. */
    public record Outcome(List<String> applied, List<String> restartOnly, String error) {}

    private final Source source;
    private final ObjectMapper mapper;
    private final List<Part> parts;
    private final String file;
    private ObjectNode effective;

    public ConfigReload(Source source, MqTapConfiguration running, ObjectMapper mapper, List<Part> parts, String file) {
        this.source = source;
        this.mapper = mapper;
        this.parts = List.copyOf(parts);
        this.file = file;
        this.effective = tree(running);
    }

    public synchronized Outcome reload() {
        MqTapConfiguration next;
        try {
            next = source.read();
        } catch (Exception e) {
            LOG.error("Reload of {} failed; the running configuration stays: {}", file, e.getMessage());
            return new Outcome(List.of(), List.of(), String.valueOf(e.getMessage()));
        }
        ObjectNode nextTree = tree(next);
        TreeSet<String> changed = new TreeSet<>();
        diff("", effective, nextTree, changed);
        List<String> applied = new ArrayList<>();
        List<String> how = new ArrayList<>();
        for (Part p : parts) {
            List<String> mine = changed.stream().filter(c -> c.equals(p.prefix()) || c.startsWith(p.prefix() + ".")).toList();
            if (mine.isEmpty()) continue;
            try {
                p.apply().apply(next);
                applied.addAll(mine);
                how.add(p.how());
                changed.removeAll(mine);
                replace(effective, nextTree, p.prefix());
            } catch (Exception e) {
                LOG.error("Reload of {}: {} could not be applied, the running values stay: {}", file, mine, e.getMessage());
                changed.removeAll(mine);
            }
        }
        List<String> restartOnly = List.copyOf(changed);
        if (applied.isEmpty() && restartOnly.isEmpty()) {
            LOG.info("Reloaded {}: no change", file);
        } else {
            LOG.info("Reloaded {}: applied {}{}", file, applied.isEmpty() ? "nothing" : String.join(", ", applied),
                    how.isEmpty() ? "" : " (" + String.join("; ", how) + ")");
        }
        if (!restartOnly.isEmpty())
            LOG.warn("Reloaded {}: changed but only applied by a restart (the running values stay): {}", file, String.join(", ", restartOnly));
        return new Outcome(applied, restartOnly, null);
    }

    private ObjectNode tree(MqTapConfiguration c) {
        ObjectNode t = mapper.createObjectNode();
        // each section on its own: one that does not serialize is compared as a whole by its text
        for (var e : Map.of("kafka", (Object) c.getKafka(), "schemaRegistry", c.getSchemaRegistry(), "capture", c.getCapture(),
                "host", c.getHost(), "pipeline", c.getPipeline(), "thresholds", c.getThresholds(), "privacy", c.getPrivacy(),
                "kubernetes", c.getKubernetes(), "server", c.getServerFactory(), "logging", c.getLoggingFactory()).entrySet()) {
            try {
                t.set(e.getKey(), mapper.valueToTree(e.getValue()));
            } catch (IllegalArgumentException ex) {
                t.put(e.getKey(), String.valueOf(e.getValue()));
            }
        }
        return t;
    }

    private static void diff(String path, JsonNode a, JsonNode b, TreeSet<String> out) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            TreeSet<String> names = new TreeSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String n : names) diff(path.isEmpty() ? n : path + "." + n, a.get(n), b.get(n), out);
        } else if (a == null ? b != null : !a.equals(b)) {
            out.add(path);
        }
    }

    private static void replace(ObjectNode into, ObjectNode from, String prefix) {
        String[] parts = prefix.split("\\.");
        ObjectNode target = into;
        JsonNode source = from;
        for (int i = 0; i < parts.length - 1; i++) {
            target = (ObjectNode) target.get(parts[i]);
            source = source.get(parts[i]);
        }
        String last = parts[parts.length - 1];
        target.set(last, source.get(last));
    }

    /**
     * Runs {@code reload} on SIGHUP (the JVM would otherwise exit on it), off the signal thread. A process started with
     * SIGHUP ignored (under {@code nohup}, or by a parent that ignores it) keeps it ignored: the JVM installs no handler
     * then, so that is said in a WARN instead of every later SIGHUP doing nothing without a word.
     *
     * @return false when SIGHUP stays ignored and no reload will happen
     */
    @SuppressWarnings("restriction")
    public static boolean onHangup(Runnable reload) {
        sun.misc.SignalHandler previous = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
            Thread t = new Thread(reload, "mqtap-reload");
            t.setDaemon(true);
            t.start();
        });
        if (previous == sun.misc.SignalHandler.SIG_IGN) {
            LOG.warn("SIGHUP is ignored in this process (inherited from whatever started it, e.g. nohup): a SIGHUP will not "
                    + "reload the configuration; restart the service to apply a changed file");
            return false;
        }
        return true;
    }
}
