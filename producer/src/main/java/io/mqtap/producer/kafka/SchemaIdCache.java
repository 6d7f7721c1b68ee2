package io.mqtap.producer.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema ids a producer resolved, kept in a small JSON file ({@code schemaRegistry.idCacheFile}) so a restart
 * need not ask the registry for each again. Keyed by the registry URL, the subject and a SHA-256 of the schema exactly
 * as registered (the parsing fingerprint would ignore defaults and logical types, which the registry does not).
 */
public final class SchemaIdCache {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaIdCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FORMAT = 1;

    /** One registered schema: its subject and the fingerprint of what was registered there. */
    public record Key(String subject, String sha256) {}

    /** The file's form: one registry's ids (a host talks to one registry; another URL's ids are not kept). */
    record Contents(int format, String url, List<Entry> schemas) {}

    record Entry(String subject, String sha256, int id) {}

    private final Path file;

    public SchemaIdCache(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    public static String fingerprint(Schema registered) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(registered.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The ids cached for this registry URL; empty when there is no file, it is unreadable, or it is another registry's. */
    public Map<Key, Integer> load(String url) {
        Contents c;
        try {
            c = JSON.readValue(file.toFile(), Contents.class);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            return Map.of();
        } catch (IOException e) {
            // a torn or foreign file costs only the lookups it would have saved
            LOG.warn("Schema id cache {} is unreadable, looking the schemas up instead: {}", file, e.getMessage());
            return Map.of();
        }
        if (c == null || c.format() != FORMAT || c.schemas() == null || !url.equals(c.url())) return Map.of();
        Map<Key, Integer> ids = new LinkedHashMap<>();
        for (Entry e : c.schemas()) {
            if (e != null && e.subject() != null && e.sha256() != null) ids.put(new Key(e.subject(), e.sha256()), e.id());
        }
        return ids;
    }

    /** Replaces the file (written beside it, then moved over it: a crash leaves the old file or the new one). */
    public void save(String url, Map<Key, Integer> ids) throws IOException {
        List<Entry> entries = ids.entrySet().stream().map(e -> new Entry(e.getKey().subject(), e.getKey().sha256(), e.getValue())).toList();
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), new Contents(FORMAT, url, entries));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
