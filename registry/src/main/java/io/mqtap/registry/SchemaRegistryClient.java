package io.mqtap.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the Confluent Schema Registry REST API (served by Confluent Schema Registry, Apicurio's
 * {@code /apis/ccompat/v7}, Karapace and Redpanda), for Avro schemas.
 *
 * <p>Registrations, look-ups and schemas by id are cached for the client's lifetime, so each schema costs
 * one call; {@link #latest}, compatibility and config calls always ask the registry. Connect errors,
 * timeouts, 5xx, 408 and 429 are retried with exponential backoff, moving to the next URL on connect errors.
 * Every failure is a {@link SchemaRegistryException} carrying the HTTP status and the registry's
 * {@code error_code} and message. Thread-safe.
 */
public final class SchemaRegistryClient {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";

    private final RegistryConfig config;
    private final HttpClient http;
    private final List<URI> bases;
    private final String authorization;
    private final AtomicInteger currentBase = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    /** subject -> schema -> id, for register and lookup. */
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    public SchemaRegistryClient(RegistryConfig config) {
        this.config = config;
        this.bases = config.urls().stream().map(SchemaRegistryClient::withoutUserInfo).toList();
        this.authorization = config.basicAuthUser() == null ? null : "Basic " + Base64.getEncoder().encodeToString(
            (config.basicAuthUser() + ":" + config.basicAuthPassword()).getBytes(StandardCharsets.UTF_8));
        HttpClient.Builder b = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade dance with plain-HTTP registries
            .connectTimeout(config.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER);
        if (config.trustStore() != null || config.keyStore() != null) {
            b.sslContext(sslContext(config));
        }
        this.http = b.build();
    }

    public RegistryConfig config() {
        return config;
    }

    /** HTTP requests sent so far (each attempt counts), for tests and metrics. */
    public long requestCount() {
        return requests.get();
    }

    /** Registers {@code schema} under {@code subject} (idempotent: an already-registered schema gets its existing id) and returns its id. */
    public int register(String subject, Schema schema) {
        Integer cached = cachedId(subject, schema);
        if (cached != null) {
            return cached;
        }
        JsonNode r;
        try {
            r = send("POST", "/subjects/" + enc(subject) + "/versions", schemaBody(schema), "register a schema", subject);
        } catch (SchemaRegistryException e) {
            if (!e.isIncompatible()) {
                throw e;
            }
            // Apicurio answers 409 to the loser of two concurrent first registrations of a subject (as may
            // happen when a fleet starts together): if the schema is there now, that is success
            try {
                return lookup(subject, schema);
            } catch (SchemaRegistryException notThere) {
                throw e;
            }
        }
        int id = requireInt(r, "id", "register");
        remember(subject, schema, id);
        return id;
    }

    /** The id of {@code schema} when it is already registered under {@code subject}; 404 (40401 or 40403) otherwise. */
    public int lookup(String subject, Schema schema) {
        Integer cached = cachedId(subject, schema);
        if (cached != null) {
            return cached;
        }
        JsonNode r = send("POST", "/subjects/" + enc(subject), schemaBody(schema), "look up a schema", subject);
        int id = requireInt(r, "id", "lookup");
        remember(subject, schema, id);
        return id;
    }

    /** The schema with this global id (cached forever: ids are immutable). */
    public Schema getById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode r = send("GET", "/schemas/ids/" + id, null, "fetch schema id " + id, null);
        Schema schema = parse(r, "schema id " + id);
        Schema prior = schemasById.putIfAbsent(id, schema);
        return prior != null ? prior : schema;
    }

    /** The subject's latest version, always asked of the registry. */
    public SchemaMetadata latest(String subject) {
        return version(subject, "latest");
    }

    /** One version of the subject ({@code "latest"} or a number). */
    public SchemaMetadata version(String subject, String version) {
        JsonNode r = send("GET", "/subjects/" + enc(subject) + "/versions/" + enc(version), null, "fetch version " + version, subject);
        int id = requireInt(r, "id", "version");
        Schema schema = parse(r, "subject " + subject + " version " + version);
        schemasById.putIfAbsent(id, schema);
        return new SchemaMetadata(r.path("subject").asText(subject), id, requireInt(r, "version", "version"), schema);
    }

    /** The version numbers registered under the subject. */
    public List<Integer> versions(String subject) {
        JsonNode r = send("GET", "/subjects/" + enc(subject) + "/versions", null, "list versions", subject);
        List<Integer> out = new ArrayList<>();
        r.forEach(n -> out.add(n.asInt()));
        return out;
    }

    public List<String> subjects() {
        JsonNode r = send("GET", "/subjects", null, "list subjects", null);
        List<String> out = new ArrayList<>();
        r.forEach(n -> out.add(n.asText()));
        return out;
    }

    /**
     * Asks whether {@code schema} could be registered as the subject's next version under its compatibility
     * rules; the messages are the registry's reasons (Confluent's {@code messages}, Apicurio's {@code reason}).
     * A subject with no versions yet is compatible with anything.
     */
    public CompatibilityResult testCompatibility(String subject, Schema schema) {
        JsonNode r;
        try {
            r = send("POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest?verbose=true", schemaBody(schema),
                "check compatibility", subject);
        } catch (SchemaRegistryException e) {
            if (e.errorCode() == SchemaRegistryException.SUBJECT_NOT_FOUND || e.errorCode() == SchemaRegistryException.VERSION_NOT_FOUND) {
                return new CompatibilityResult(true, List.of());
            }
            throw e;
        }
        List<String> messages = new ArrayList<>();
        r.path("messages").forEach(n -> messages.add(n.asText()));
        if (r.hasNonNull("reason")) {
            messages.add(r.get("reason").asText());
        }
        return new CompatibilityResult(r.path("is_compatible").asBoolean(false), messages);
    }

    /** The subject's compatibility level (e.g. {@code BACKWARD}), falling back to the global one when the subject has none. */
    public String getCompatibility(String subject) {
        JsonNode r = send("GET", "/config/" + enc(subject) + "?defaultToGlobal=true", null, "read subject compatibility", subject);
        return level(r);
    }

    /** Sets the subject's compatibility level ({@code NONE}, {@code BACKWARD}, {@code FORWARD}, {@code FULL}, or a {@code *_TRANSITIVE}); returns what the registry stored. */
    public String setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        JsonNode r = send("PUT", "/config/" + enc(subject), body, "set subject compatibility", subject);
        return level(r);
    }

    /** The registry-wide compatibility level. */
    public String getGlobalCompatibility() {
        return level(send("GET", "/config", null, "read global compatibility", null));
    }

    private Integer cachedId(String subject, Schema schema) {
        Map<Schema, Integer> m = idsBySubject.get(subject);
        return m == null ? null : m.get(schema);
    }

    /**
     * Takes an id learnt elsewhere (a cache the caller has verified against this registry) as if registered or looked up
     * here, so {@link #register} and {@link #lookup} answer it without a call. A wrong id here mislabels every record.
     */
    public void remember(String subject, Schema schema, int id) {
        idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).putIfAbsent(schema, id);
        schemasById.putIfAbsent(id, schema);
    }

    private static ObjectNode schemaBody(Schema schema) {
        // schemaType omitted: AVRO is the default everywhere, and older registries reject the field
        return JSON.createObjectNode().put("schema", schema.toString());
    }

    /** Sends one call with retries; returns the parsed JSON of a 2xx answer or throws. */
    private JsonNode send(String method, String pathAndQuery, JsonNode body, String what, String subject) {
        byte[] payload = null;
        if (body != null) {
            try {
                payload = JSON.writeValueAsBytes(body);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        int attempts = config.maxRetries() + 1;
        String lastProblem = null;
        Throwable lastCause = null;
        int lastStatus = -1;
        int lastCode = -1;
        String lastRegistryMessage = null;
        for (int attempt = 0; attempt < attempts; attempt++) {
            if (attempt > 0) {
                sleepBackoff(attempt);
            }
            int baseIndex = Math.floorMod(currentBase.get(), bases.size());
            URI base = bases.get(baseIndex);
            URI uri = URI.create(base + pathAndQuery);
            HttpRequest.Builder rb = HttpRequest.newBuilder(uri)
                .timeout(config.requestTimeout())
                .header("Accept", ACCEPT)
                .method(method, payload == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(payload));
            if (payload != null) {
                rb.header("Content-Type", CONTENT_TYPE);
            }
            if (authorization != null) {
                rb.header("Authorization", authorization);
            }
            HttpResponse<byte[]> response;
            try {
                requests.incrementAndGet();
                response = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                lastProblem = describe(e);
                lastCause = e;
                lastStatus = -1;
                lastCode = -1;
                lastRegistryMessage = null;
                currentBase.compareAndSet(baseIndex, baseIndex + 1); // try the next URL, if there is one
                LOG.debug("Schema Registry {} {} failed (attempt {}/{}): {}", method, uri, attempt + 1, attempts, lastProblem);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("interrupted while trying to " + what + " at " + base, -1, -1, null, subject, e);
            }
            int status = response.statusCode();
            JsonNode json = parseBody(response.body());
            if (status / 100 == 2) {
                if (json == null) {
                    throw new SchemaRegistryException("Schema Registry at " + base + " answered " + method + " " + pathAndQuery
                        + " with HTTP " + status + " but no JSON body", status, -1, null, subject, null);
                }
                return json;
            }
            int code = json != null && json.has("error_code") ? json.get("error_code").asInt(-1) : -1;
            String message = json != null && json.hasNonNull("message") ? json.get("message").asText()
                : new String(response.body(), StandardCharsets.UTF_8).strip();
            if (status >= 500 || status == 408 || status == 429) {
                lastProblem = "HTTP " + status + (code >= 0 ? ", error_code " + code : "") + ": " + message;
                lastCause = null;
                lastStatus = status;
                lastCode = code;
                lastRegistryMessage = message;
                LOG.debug("Schema Registry {} {} failed (attempt {}/{}): {}", method, uri, attempt + 1, attempts, lastProblem);
                continue;
            }
            throw rejected(what, subject, base, status, code, message);
        }
        throw new SchemaRegistryException("Schema Registry at " + String.join(", ", bases.stream().map(URI::toString).toList())
            + " " + (lastStatus < 0 ? "unreachable" : "failing") + ": could not " + what + (subject != null ? " for subject '" + subject + "'" : "")
            + " after " + attempts + " attempt" + (attempts == 1 ? "" : "s") + ": " + lastProblem,
            lastStatus, lastCode, lastRegistryMessage, subject, lastCause);
    }

    private static SchemaRegistryException rejected(String what, String subject, URI base, int status, int code, String message) {
        String codeText = "HTTP " + status + (code >= 0 ? ", error_code " + code : "");
        String text;
        if (status == 409 || code == SchemaRegistryException.INCOMPATIBLE_SCHEMA) {
            text = "Schema Registry at " + base + " rejected the schema for subject '" + subject
                + "' as incompatible with its registered versions (" + codeText + "): " + message;
        } else if (status == 401 || status == 403) {
            text = "Schema Registry at " + base + " refused to " + what + " (" + codeText + "): check " + RegistryConfig.BASIC_AUTH_USER_INFO
                + " and the user's rights: " + message;
        } else {
            text = "Schema Registry at " + base + " could not " + what + (subject != null ? " for subject '" + subject + "'" : "")
                + " (" + codeText + "): " + message;
        }
        return new SchemaRegistryException(text, status, code, message, subject, null);
    }

    private void sleepBackoff(int attempt) {
        long first = config.retryBackoff().toMillis();
        long max = config.retryBackoffMax().toMillis();
        long wait = Math.min(max, first << Math.min(attempt - 1, 20));
        wait = (long) (wait * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())); // jitter: clients retrying together spread out
        try {
            Thread.sleep(Math.max(1, wait));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while waiting to retry a Schema Registry call", -1, -1, null, null, e);
        }
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        String type = e.getClass().getSimpleName();
        if ((m == null || m.isBlank()) && e.getCause() != null) {
            m = e.getCause().getMessage();
            type = type + "/" + e.getCause().getClass().getSimpleName();
        }
        return type + (m == null ? "" : ": " + m);
    }

    private static JsonNode parseBody(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static int requireInt(JsonNode r, String field, String what) {
        JsonNode n = r.get(field);
        if (n == null || !n.canConvertToInt()) {
            throw new SchemaRegistryException("Schema Registry answer to " + what + " has no integer '" + field + "': " + r, 200, -1, null, null, null);
        }
        return n.asInt();
    }

    private static Schema parse(JsonNode r, String what) {
        String type = r.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new SchemaRegistryException(what + " is a " + type + " schema, not Avro", 200, -1, null, null, null);
        }
        JsonNode text = r.get("schema");
        if (text == null || !text.isTextual()) {
            throw new SchemaRegistryException("Schema Registry answer for " + what + " has no 'schema': " + r, 200, -1, null, null, null);
        }
        try {
            return new Schema.Parser().parse(text.asText());
        } catch (RuntimeException e) {
            throw new SchemaRegistryException("Schema Registry returned an unparsable Avro schema for " + what + ": " + e.getMessage(),
                200, -1, null, null, e);
        }
    }

    private static String level(JsonNode r) {
        JsonNode n = r.hasNonNull("compatibilityLevel") ? r.get("compatibilityLevel") : r.get("compatibility");
        return n == null ? null : n.asText();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static URI withoutUserInfo(URI u) {
        if (u.getUserInfo() == null) {
            return u;
        }
        try {
            return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), u.getQuery(), u.getFragment());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static SSLContext sslContext(RegistryConfig c) {
        try {
            TrustManagerFactory tmf = null;
            if (c.trustStore() != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(c.trustStore(), c.trustStorePassword(), c.trustStoreType(), RegistryConfig.TRUSTSTORE_LOCATION));
            }
            KeyManagerFactory kmf = null;
            if (c.keyStore() != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                String keyPassword = c.keyPassword() != null ? c.keyPassword() : c.keyStorePassword();
                kmf.init(load(c.keyStore(), c.keyStorePassword(), c.keyStoreType(), RegistryConfig.KEYSTORE_LOCATION),
                    keyPassword == null ? new char[0] : keyPassword.toCharArray());
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("Failed to set up TLS for the Schema Registry: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(Path path, String password, String type, String key) throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(path)) {
            ks.load(in, password == null ? null : password.toCharArray());
        } catch (IOException e) {
            throw new IllegalArgumentException("Failed to load " + key + " " + path + " (" + type + "): " + e.getMessage(), e);
        }
        return ks;
    }
}
