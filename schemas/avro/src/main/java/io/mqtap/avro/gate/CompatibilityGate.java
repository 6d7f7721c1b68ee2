package io.mqtap.avro.gate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;

/**
 * The build's schema compatibility gate: every {@code X.avsc} in the schema directory is checked
 * with Avro's own {@link SchemaCompatibility} against its released versions {@code X-<n>.avsc}, and
 * every record and field must carry a {@code doc}. Any violation fails the build with a message that
 * names the schema, the released version, the field and Avro's reason.
 *
 * <p>Run by exec-maven-plugin in {@code process-classes}:
 * {@code CompatibilityGate <schemaDir> <releasedDir> <level>}, level one of {@link Level}.
 */
public final class CompatibilityGate {

    /** How a new schema must relate to released ones; *_TRANSITIVE checks every release, else the latest. */
    public enum Level {
        BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE;

        boolean backward() { return this != FORWARD && this != FORWARD_TRANSITIVE; }
        boolean forward() { return this != BACKWARD && this != BACKWARD_TRANSITIVE; }
        boolean transitive() { return name().endsWith("_TRANSITIVE"); }
    }

    private static final Pattern RELEASED = Pattern.compile("(.+)-(\\d+)\\.avsc");

    private CompatibilityGate() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: CompatibilityGate <schemaDir> <releasedDir> <level>");
        }
        Level level = Level.valueOf(args[2].trim().toUpperCase(Locale.ROOT));
        List<String> problems = check(Path.of(args[0]), Path.of(args[1]), level);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Avro schema compatibility gate (" + level + ") failed:\n  "
                    + String.join("\n  ", problems)
                    + "\nFix the schema (new fields need a default; never change a field's type or remove a field without one),"
                    + " or, for a deliberate release, add the new version to " + args[1] + ".");
        }
        System.out.println("[mqtap] Avro schemas are " + level + " compatible with their released versions: " + args[0]);
    }

    /** Returns one line per problem; empty when every schema passes. */
    public static List<String> check(Path schemaDir, Path releasedDir, Level level) throws IOException {
        List<String> problems = new ArrayList<>();
        for (Path current : list(schemaDir)) {
            String file = current.getFileName().toString();
            String base = file.substring(0, file.length() - ".avsc".length());
            Schema now = parse(current);
            problems.addAll(missingDocs(file, now));
            List<Released> releases = released(releasedDir, base);
            if (releases.isEmpty()) {
                System.out.println("[mqtap] " + file + " has no released version in " + releasedDir + "; nothing to check against");
                continue;
            }
            List<Released> against = level.transitive() ? releases : releases.subList(releases.size() - 1, releases.size());
            for (Released old : against) {
                Schema then = parse(old.path);
                String pair = file + " vs released " + old.path.getFileName();
                if (level.backward()) {
                    problems.addAll(incompatibilities(pair, "new schema cannot read data written with the released one", now, then));
                }
                if (level.forward()) {
                    problems.addAll(incompatibilities(pair, "released schema cannot read data written with the new one", then, now));
                }
            }
        }
        return problems;
    }

    private static List<String> incompatibilities(String pair, String direction, Schema reader, Schema writer) {
        List<String> out = new ArrayList<>();
        collect(pair + ": " + direction + ": field ", "", reader, writer, out);
        return out;
    }

    private static void collect(String head, String prefix, Schema reader, Schema writer, List<String> out) {
        var result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getResult();
        for (Incompatibility inc : result.getIncompatibilities()) {
            String field = prefix.isEmpty() ? fieldAt(reader, inc.getLocation(), inc) : prefix + fieldAt(reader, inc.getLocation(), inc).substring(reader.getName().length());
            List<Schema[]> nested = inc.getType() == SchemaCompatibility.SchemaIncompatibilityType.MISSING_UNION_BRANCH
                    ? sameNamedRecords(inc.getReaderFragment(), inc.getWriterFragment()) : List.of();
            if (!nested.isEmpty()) {
                // Avro stops at the union; descend into the records of the same name to name the inner field
                for (Schema[] pair : nested) {
                    collect(head, field, pair[0], pair[1], out);
                }
            } else {
                out.add(head + field + ": " + inc.getType() + " (" + inc.getMessage() + ") at " + inc.getLocation());
            }
        }
    }

    /** Pairs of (reader, writer) records with the same full name on both sides of a union that are incompatible. */
    private static List<Schema[]> sameNamedRecords(Schema reader, Schema writer) {
        List<Schema[]> out = new ArrayList<>();
        if (reader == null || writer == null) {
            return out;
        }
        List<Schema> readers = reader.getType() == Schema.Type.UNION ? reader.getTypes() : List.of(reader);
        List<Schema> writers = writer.getType() == Schema.Type.UNION ? writer.getTypes() : List.of(writer);
        for (Schema w : writers) {
            for (Schema r : readers) {
                if (w.getType() == Schema.Type.RECORD && r.getType() == Schema.Type.RECORD && r.getFullName().equals(w.getFullName())
                        && !SchemaCompatibility.checkReaderWriterCompatibility(r, w).getResult().getIncompatibilities().isEmpty()) {
                    out.add(new Schema[] {r, w});
                }
            }
        }
        return out;
    }

    /** Turns Avro's JSON-pointer location in the reader schema into a dotted field path such as {@code MqOpen.attr.maxmsg}. */
    static String fieldAt(Schema reader, String location, Incompatibility inc) {
        StringBuilder path = new StringBuilder(reader.getName());
        Schema s = reader;
        String[] tokens = location == null ? new String[0] : location.split("/");
        for (int i = 0; i < tokens.length && s != null; i++) {
            String t = tokens[i];
            if (t.isEmpty() || t.equals("type")) {
                continue;
            }
            if (t.equals("fields") && s.getType() == Schema.Type.RECORD) {
                if (i + 1 < tokens.length && isIndex(tokens[i + 1])) {
                    Schema.Field f = s.getFields().get(Integer.parseInt(tokens[++i]));
                    path.append('.').append(f.name());
                    s = f.schema();
                } else if (inc.getType() == SchemaCompatibility.SchemaIncompatibilityType.READER_FIELD_MISSING_DEFAULT_VALUE) {
                    path.append('.').append(inc.getMessage()); // Avro puts the field's name in the message here
                    s = null;
                }
            } else if (isIndex(t) && s.getType() == Schema.Type.UNION) {
                s = s.getTypes().get(Integer.parseInt(t));
            } else if (t.equals("items") && s.getType() == Schema.Type.ARRAY) {
                path.append("[]");
                s = s.getElementType();
            } else if (t.equals("values") && s.getType() == Schema.Type.MAP) {
                path.append("{}");
                s = s.getValueType();
            } else {
                break; // name, size, symbols: a property of the type reached so far
            }
        }
        return path.toString();
    }

    private static List<String> missingDocs(String file, Schema schema) {
        List<String> out = new ArrayList<>();
        collectMissingDocs(file, schema, schema.getName(), out, new ArrayList<>());
        return out;
    }

    private static void collectMissingDocs(String file, Schema s, String path, List<String> out, List<String> seen) {
        switch (s.getType()) {
            case RECORD -> {
                if (seen.contains(s.getFullName())) {
                    return;
                }
                seen.add(s.getFullName());
                if (blank(s.getDoc())) {
                    out.add(file + ": record " + s.getFullName() + " has no doc");
                }
                for (Schema.Field f : s.getFields()) {
                    if (blank(f.doc())) {
                        out.add(file + ": field " + path + "." + f.name() + " has no doc");
                    }
                    collectMissingDocs(file, f.schema(), path + "." + f.name(), out, seen);
                }
            }
            case UNION -> s.getTypes().forEach(t -> collectMissingDocs(file, t, path, out, seen));
            case ARRAY -> collectMissingDocs(file, s.getElementType(), path + "[]", out, seen);
            case MAP -> collectMissingDocs(file, s.getValueType(), path + "{}", out, seen);
            default -> { }
        }
    }

    private record Released(Path path, int version) {}

    private static List<Released> released(Path dir, String base) throws IOException {
        List<Released> out = new ArrayList<>();
        for (Path p : list(dir)) {
            Matcher m = RELEASED.matcher(p.getFileName().toString());
            if (m.matches() && m.group(1).equals(base)) {
                out.add(new Released(p, Integer.parseInt(m.group(2))));
            }
        }
        out.sort(Comparator.comparingInt(Released::version));
        return out;
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".avsc")).sorted().toList();
        }
    }

    private static Schema parse(Path file) throws IOException {
        try {
            return new Schema.Parser().parse(file.toFile());
        } catch (RuntimeException e) {
            throw new IOException("cannot parse Avro schema " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean isIndex(String t) {
        return !t.isEmpty() && t.chars().allMatch(Character::isDigit);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
