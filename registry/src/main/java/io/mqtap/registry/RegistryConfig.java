package io.mqtap.registry;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Everything the Schema Registry client and the serdes need, immutable: Kafka's {@link ConfigDef} defines each key
 * (type, default, check, doc) with the Confluent-style names below. Built with {@link #builder()} or, from Kafka's
 * {@code configure(Map, boolean)}, with {@link #fromMap(Map)} (unknown keys are ignored, so a whole producer or
 * consumer config can be passed).
 */
public final class RegistryConfig extends AbstractConfig {
    /** Comma-separated base URLs, e.g. {@code http://127.0.0.1:8081} or {@code http://host:8080/apis/ccompat/v7}; the next is tried when one is unreachable. */
    public static final String URL = "schema.registry.url";
    /** {@code USER_INFO} (default: use {@link #BASIC_AUTH_USER_INFO}) or {@code URL} (user info inside the URL). */
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    /** {@code user:password} for HTTP basic auth. */
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    /** The same, under the name Confluent's clients also accept. */
    static final String REGISTRY_BASIC_AUTH_USER_INFO = "schema.registry." + BASIC_AUTH_USER_INFO;
    public static final String TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    /** JKS or PKCS12 (default PKCS12). */
    public static final String TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    /** A key store holding the client certificate, for registries that demand one. */
    public static final String KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    public static final String KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    public static final String KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    /** The private key's password when it differs from the key store's. */
    public static final String KEY_PASSWORD = "schema.registry.ssl.key.password";
    public static final String CONNECT_TIMEOUT_MS = "schema.registry.connect.timeout.ms";
    /** Time for one HTTP request, from sending to the whole answer. */
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    /** Retries after the first attempt, on connect errors, timeouts, 5xx, 408 and 429. */
    public static final String MAX_RETRIES = "schema.registry.max.retries";
    /** First wait before a retry; doubles each time, up to {@link #RETRY_BACKOFF_MAX_MS}. */
    public static final String RETRY_BACKOFF_MS = "schema.registry.retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "schema.registry.retry.backoff.max.ms";
    /** Serializer: register the record's schema under its subject (true), or only look it up (false). */
    public static final String AUTO_REGISTER = "auto.register.schemas";
    /** Serializer: use the subject's latest version when it is the record's schema, instead of registering. */
    public static final String USE_LATEST_VERSION = "use.latest.version";
    public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
    public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";
    /** Serializer: drop the generator's {@code avro.java.*} properties from the schema it registers (default true). */
    public static final String REMOVE_JAVA_PROPERTIES = "avro.remove.java.properties";
    /** Deserializer: read into generated specific classes (found by the writer schema's full name). */
    public static final String SPECIFIC_READER = "specific.avro.reader";
    /** Deserializer: the reader schema (JSON text or an {@link Schema}); records are resolved into it. */
    public static final String READER_SCHEMA = "avro.reader.schema";
    /** Deserializer: the most array and map items one record may declare in all; more is a SerializationException. */
    public static final String MAX_COLLECTION_ITEMS = "avro.max.collection.items";
    /** Deserializer: the longest string or bytes value (in bytes) one record may hold; longer is a SerializationException. */
    public static final String MAX_VALUE_BYTES = "avro.max.value.bytes";

    private static final ConfigDef.Validator HTTP_URLS = (name, value) -> {
        List<?> urls = (List<?>) value;
        if (urls == null || urls.isEmpty()) throw new ConfigException(name, value, "at least one Schema Registry URL is required");
        for (Object u : urls) {
            String s = u.toString().toLowerCase(Locale.ROOT);
            if (!s.startsWith("http://") && !s.startsWith("https://"))
                throw new ConfigException(name, u, "must be an http:// or https:// URL");
        }
    };
    private static final ConfigDef.Validator USER_INFO = (name, value) -> {
        if (value != null && !((Password) value).value().isEmpty() && !((Password) value).value().contains(":"))
            throw new ConfigException(name, value, "must be user:password");
    };
    private static final ConfigDef.Validator STRATEGY = (name, value) -> {
        try {
            SubjectNameStrategy.parse(value.toString());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name, value, e.getMessage());
        }
    };

    /** Every key, its type, default and check. */
    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(URL, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, HTTP_URLS, Importance.HIGH,
                    "Comma-separated Schema Registry base URLs; the next is tried when one is unreachable.")
            .define(BASIC_AUTH_CREDENTIALS_SOURCE, Type.STRING, "USER_INFO",
                    ConfigDef.CaseInsensitiveValidString.in("USER_INFO", "URL"), Importance.MEDIUM,
                    "Where the basic auth credentials come from: USER_INFO (basic.auth.user.info) or URL (user:password@ in it).")
            .define(BASIC_AUTH_USER_INFO, Type.PASSWORD, null, USER_INFO, Importance.MEDIUM, "user:password for HTTP basic auth.")
            .define(REGISTRY_BASIC_AUTH_USER_INFO, Type.PASSWORD, null, USER_INFO, Importance.LOW,
                    "The same as basic.auth.user.info, when that is not set.")
            .define(TRUSTSTORE_LOCATION, Type.STRING, null, Importance.MEDIUM, "Trust store for the registry's HTTPS certificate.")
            .define(TRUSTSTORE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM, "The trust store's password.")
            .define(TRUSTSTORE_TYPE, Type.STRING, "PKCS12", Importance.LOW, "JKS or PKCS12.")
            .define(KEYSTORE_LOCATION, Type.STRING, null, Importance.MEDIUM, "Key store with the client certificate, if the registry asks for one.")
            .define(KEYSTORE_PASSWORD, Type.PASSWORD, null, Importance.MEDIUM, "The key store's password.")
            .define(KEYSTORE_TYPE, Type.STRING, "PKCS12", Importance.LOW, "JKS or PKCS12.")
            .define(KEY_PASSWORD, Type.PASSWORD, null, Importance.LOW, "The private key's password, when it differs from the key store's.")
            .define(CONNECT_TIMEOUT_MS, Type.LONG, 5_000L, ConfigDef.Range.atLeast(1), Importance.LOW, "TCP (and TLS) connect timeout.")
            .define(REQUEST_TIMEOUT_MS, Type.LONG, 10_000L, ConfigDef.Range.atLeast(1), Importance.LOW,
                    "Time for one HTTP request, from sending to the whole answer.")
            .define(MAX_RETRIES, Type.INT, 3, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "Retries after the first attempt, on connect errors, timeouts, 5xx, 408 and 429.")
            .define(RETRY_BACKOFF_MS, Type.LONG, 100L, ConfigDef.Range.atLeast(1), Importance.LOW,
                    "First wait before a retry; doubles each time.")
            .define(RETRY_BACKOFF_MAX_MS, Type.LONG, 2_000L, ConfigDef.Range.atLeast(1), Importance.LOW, "Longest wait before a retry.")
            .define(AUTO_REGISTER, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Serializer: register the record's schema under its subject (true), or only look it up (false).")
            .define(USE_LATEST_VERSION, Type.BOOLEAN, false, Importance.LOW,
                    "Serializer: use the subject's latest version when it is the record's schema.")
            .define(KEY_SUBJECT_NAME_STRATEGY, Type.STRING, "topic", STRATEGY, Importance.LOW, "topic, record or topic-record.")
            .define(VALUE_SUBJECT_NAME_STRATEGY, Type.STRING, "topic", STRATEGY, Importance.LOW, "topic, record or topic-record.")
            .define(REMOVE_JAVA_PROPERTIES, Type.BOOLEAN, true, Importance.LOW,
                    "Serializer: drop the generator's avro.java.* properties from the schema it registers.")
            .define(SPECIFIC_READER, Type.BOOLEAN, false, Importance.LOW, "Deserializer: read into generated specific classes.")
            .define(READER_SCHEMA, Type.STRING, null, Importance.LOW, "Deserializer: the reader schema, as JSON.")
            .define(MAX_COLLECTION_ITEMS, Type.LONG, 10_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "Deserializer: the most array and map items one record may declare in all (a hostile count must not fill the heap).")
            .define(MAX_VALUE_BYTES, Type.INT, 1 << 20, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "Deserializer: the longest string or bytes value one record may hold, in bytes.");

    private final List<URI> urls;
    private final String basicAuthUser;
    private final String basicAuthPassword;
    private final SubjectNameStrategy keySubjectStrategy;
    private final SubjectNameStrategy valueSubjectStrategy;
    private final Schema readerSchema;

    private RegistryConfig(Map<String, ?> configs) {
        super(DEFINITION, typed(configs), false);
        this.urls = urls(getList(URL));
        String userInfo;
        if (getString(BASIC_AUTH_CREDENTIALS_SOURCE).equalsIgnoreCase("URL")) {
            userInfo = urls.get(0).getRawUserInfo();
        } else {
            Password p = getPassword(BASIC_AUTH_USER_INFO) != null ? getPassword(BASIC_AUTH_USER_INFO)
                    : getPassword(REGISTRY_BASIC_AUTH_USER_INFO);
            userInfo = p == null ? null : p.value();
        }
        int colon = userInfo == null || userInfo.isEmpty() ? -1 : userInfo.indexOf(':');
        this.basicAuthUser = colon < 0 ? null : userInfo.substring(0, colon);
        this.basicAuthPassword = colon < 0 ? null : userInfo.substring(colon + 1);
        this.keySubjectStrategy = SubjectNameStrategy.parse(getString(KEY_SUBJECT_NAME_STRATEGY));
        this.valueSubjectStrategy = SubjectNameStrategy.parse(getString(VALUE_SUBJECT_NAME_STRATEGY));
        String reader = getString(READER_SCHEMA);
        try {
            this.readerSchema = reader == null || reader.isBlank() ? null : new Schema.Parser().parse(reader);
        } catch (RuntimeException e) {
            throw new ConfigException(READER_SCHEMA, "(schema)", "not a valid Avro schema: " + e.getMessage());
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.props.putAll(originals());
        b.props.remove(URL);
        urls.forEach(u -> b.urls.add(u.toString()));
        return b;
    }

    /**
     * Reads the keys above from a Kafka-style config map; values may be strings or already-typed
     * (Boolean, Number, List, {@link Password}, {@link Path}, {@link Schema}).
     */
    public static RegistryConfig fromMap(Map<String, ?> configs) {
        return new RegistryConfig(configs);
    }

    /** Values ConfigDef has no type for, as the text it parses: a Schema as its JSON, a Path or a number as text. */
    private static Map<String, Object> typed(Map<String, ?> configs) {
        Map<String, Object> m = new HashMap<>(configs);
        m.replaceAll((k, v) -> !DEFINITION.names().contains(k) || v == null || v instanceof String || v instanceof Password
                || v instanceof Boolean || v instanceof Collection<?> ? v
                : v instanceof Class<?> c ? c.getName() : v.toString());
        return m;
    }

    /** Base URLs without a trailing '/'. */
    private static List<URI> urls(List<String> values) {
        List<URI> out = new ArrayList<>();
        for (String v : values) {
            String u = v.trim();
            while (u.endsWith("/")) u = u.substring(0, u.length() - 1);
            try {
                out.add(URI.create(u));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(URL, v, "not a URL: " + e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    public List<URI> urls() {
        return urls;
    }

    public String basicAuthUser() {
        return basicAuthUser;
    }

    public String basicAuthPassword() {
        return basicAuthPassword;
    }

    public Path trustStore() {
        return path(TRUSTSTORE_LOCATION);
    }

    public String trustStorePassword() {
        return secret(TRUSTSTORE_PASSWORD);
    }

    public String trustStoreType() {
        return getString(TRUSTSTORE_TYPE);
    }

    public Path keyStore() {
        return path(KEYSTORE_LOCATION);
    }

    public String keyStorePassword() {
        return secret(KEYSTORE_PASSWORD);
    }

    public String keyStoreType() {
        return getString(KEYSTORE_TYPE);
    }

    public String keyPassword() {
        return secret(KEY_PASSWORD);
    }

    public Duration connectTimeout() {
        return Duration.ofMillis(getLong(CONNECT_TIMEOUT_MS));
    }

    public Duration requestTimeout() {
        return Duration.ofMillis(getLong(REQUEST_TIMEOUT_MS));
    }

    public int maxRetries() {
        return getInt(MAX_RETRIES);
    }

    public Duration retryBackoff() {
        return Duration.ofMillis(getLong(RETRY_BACKOFF_MS));
    }

    public Duration retryBackoffMax() {
        return Duration.ofMillis(getLong(RETRY_BACKOFF_MAX_MS));
    }

    public boolean autoRegister() {
        return getBoolean(AUTO_REGISTER);
    }

    public boolean useLatestVersion() {
        return getBoolean(USE_LATEST_VERSION);
    }

    public SubjectNameStrategy subjectStrategy(boolean isKey) {
        return isKey ? keySubjectStrategy : valueSubjectStrategy;
    }

    public boolean removeJavaProperties() {
        return getBoolean(REMOVE_JAVA_PROPERTIES);
    }

    public boolean specificReader() {
        return getBoolean(SPECIFIC_READER);
    }

    /** The deserializer's reader schema, or null to read with the writer's (or the specific class's). */
    public Schema readerSchema() {
        return readerSchema;
    }

    public long maxCollectionItems() {
        return getLong(MAX_COLLECTION_ITEMS);
    }

    public int maxValueBytes() {
        return getInt(MAX_VALUE_BYTES);
    }

    private Path path(String key) {
        String s = getString(key);
        return s == null || s.isEmpty() ? null : Path.of(s);
    }

    private String secret(String key) {
        Password p = getPassword(key);
        return p == null ? null : p.value();
    }

    @Override
    public String toString() {
        // no passwords
        return "RegistryConfig{urls=" + urls + ", basicAuthUser=" + basicAuthUser + ", trustStore=" + trustStore()
            + ", keyStore=" + keyStore() + ", connectTimeout=" + connectTimeout() + ", requestTimeout=" + requestTimeout()
            + ", maxRetries=" + maxRetries() + ", autoRegister=" + autoRegister() + ", useLatestVersion=" + useLatestVersion()
            + ", valueSubjectStrategy=" + valueSubjectStrategy + ", specificReader=" + specificReader() + "}";
    }

    /** Sets the keys above by name; defaults: 5 s connect, 10 s request, 3 retries from 100 ms up to 2 s, auto-register, topic strategy. */
    public static final class Builder {
        private final List<String> urls = new ArrayList<>();
        private final Map<String, Object> props = new HashMap<>();

        private Builder() {}

        /** Adds a base URL; a trailing '/' is dropped. */
        public Builder url(String url) {
            urls.add(url);
            return this;
        }

        public Builder basicAuth(String user, String password) {
            props.put(BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO");
            props.put(BASIC_AUTH_USER_INFO, new Password(Objects.requireNonNull(user, "user") + ":"
                    + Objects.requireNonNull(password, "password")));
            return this;
        }

        public Builder trustStore(Path location, String password, String type) {
            return store(TRUSTSTORE_LOCATION, location, TRUSTSTORE_PASSWORD, password, TRUSTSTORE_TYPE, type);
        }

        public Builder keyStore(Path location, String password, String keyPassword, String type) {
            props.put(KEY_PASSWORD, keyPassword == null ? null : new Password(keyPassword));
            return store(KEYSTORE_LOCATION, location, KEYSTORE_PASSWORD, password, KEYSTORE_TYPE, type);
        }

        private Builder store(String locationKey, Path location, String passwordKey, String password, String typeKey, String type) {
            props.put(locationKey, location == null ? null : location.toString());
            props.put(passwordKey, password == null ? null : new Password(password));
            if (type != null && !type.isBlank()) props.put(typeKey, type);
            return this;
        }

        public Builder connectTimeout(Duration d) {
            props.put(CONNECT_TIMEOUT_MS, d.toMillis());
            return this;
        }

        public Builder requestTimeout(Duration d) {
            props.put(REQUEST_TIMEOUT_MS, d.toMillis());
            return this;
        }

        public Builder maxRetries(int n) {
            props.put(MAX_RETRIES, n);
            return this;
        }

        public Builder retryBackoff(Duration first, Duration max) {
            props.put(RETRY_BACKOFF_MS, first.toMillis());
            props.put(RETRY_BACKOFF_MAX_MS, max.toMillis());
            return this;
        }

        public Builder autoRegister(boolean on) {
            props.put(AUTO_REGISTER, on);
            return this;
        }

        public Builder useLatestVersion(boolean on) {
            props.put(USE_LATEST_VERSION, on);
            return this;
        }

        /** Sets the strategy for both keys and values. */
        public Builder subjectStrategy(SubjectNameStrategy s) {
            return keySubjectStrategy(s).valueSubjectStrategy(s);
        }

        public Builder keySubjectStrategy(SubjectNameStrategy s) {
            props.put(KEY_SUBJECT_NAME_STRATEGY, Objects.requireNonNull(s).name());
            return this;
        }

        public Builder valueSubjectStrategy(SubjectNameStrategy s) {
            props.put(VALUE_SUBJECT_NAME_STRATEGY, Objects.requireNonNull(s).name());
            return this;
        }

        public Builder removeJavaProperties(boolean on) {
            props.put(REMOVE_JAVA_PROPERTIES, on);
            return this;
        }

        public Builder specificReader(boolean on) {
            props.put(SPECIFIC_READER, on);
            return this;
        }

        public Builder readerSchema(Schema s) {
            props.put(READER_SCHEMA, s == null ? null : s.toString());
            return this;
        }

        /** The deserializer's bounds on one record: array and map items in all, and one string or bytes value's length. */
        public Builder decodeLimits(long maxCollectionItems, int maxValueBytes) {
            props.put(MAX_COLLECTION_ITEMS, maxCollectionItems);
            props.put(MAX_VALUE_BYTES, maxValueBytes);
            return this;
        }

        public RegistryConfig build() {
            Map<String, Object> all = new HashMap<>(props);
            all.put(URL, List.copyOf(urls));
            all.values().removeIf(Objects::isNull);
            return new RegistryConfig(all);
        }
    }
}
