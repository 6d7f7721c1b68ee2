package io.mqtap.registry;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Everything the Schema Registry client and the serdes need, immutable. Built with {@link #builder()} or,
 * from Kafka's {@code configure(Map, boolean)}, with {@link #fromMap(Map)} using the Confluent-style keys
 * below (unknown keys are ignored, so a whole producer or consumer config can be passed).
 */
public final class RegistryConfig {
    /** Comma-separated base URLs, e.g. {@code http://127.0.0.1:8081} or {@code http://host:8080/apis/ccompat/v7}; the next is tried when one is unreachable. */
    public static final String URL = "schema.registry.url";
    /** {@code USER_INFO} (default: use {@link #BASIC_AUTH_USER_INFO}) or {@code URL} (user info inside the URL). */
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    /** {@code user:password} for HTTP basic auth. */
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
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

    private final List<URI> urls;
    private final String basicAuthUser;
    private final String basicAuthPassword;
    private final Path trustStore;
    private final String trustStorePassword;
    private final String trustStoreType;
    private final Path keyStore;
    private final String keyStorePassword;
    private final String keyStoreType;
    private final String keyPassword;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final int maxRetries;
    private final Duration retryBackoff;
    private final Duration retryBackoffMax;
    private final boolean autoRegister;
    private final boolean useLatestVersion;
    private final SubjectNameStrategy keySubjectStrategy;
    private final SubjectNameStrategy valueSubjectStrategy;
    private final boolean removeJavaProperties;
    private final boolean specificReader;
    private final Schema readerSchema;

    private RegistryConfig(Builder b) {
        if (b.urls.isEmpty()) {
            throw new ConfigException(URL, null, "at least one Schema Registry URL is required");
        }
        this.urls = List.copyOf(b.urls);
        this.basicAuthUser = b.basicAuthUser;
        this.basicAuthPassword = b.basicAuthPassword;
        this.trustStore = b.trustStore;
        this.trustStorePassword = b.trustStorePassword;
        this.trustStoreType = b.trustStoreType;
        this.keyStore = b.keyStore;
        this.keyStorePassword = b.keyStorePassword;
        this.keyStoreType = b.keyStoreType;
        this.keyPassword = b.keyPassword;
        this.connectTimeout = positive(CONNECT_TIMEOUT_MS, b.connectTimeout);
        this.requestTimeout = positive(REQUEST_TIMEOUT_MS, b.requestTimeout);
        if (b.maxRetries < 0) {
            throw new ConfigException(MAX_RETRIES, b.maxRetries, "must be >= 0");
        }
        this.maxRetries = b.maxRetries;
        this.retryBackoff = positive(RETRY_BACKOFF_MS, b.retryBackoff);
        this.retryBackoffMax = positive(RETRY_BACKOFF_MAX_MS, b.retryBackoffMax);
        this.autoRegister = b.autoRegister;
        this.useLatestVersion = b.useLatestVersion;
        this.keySubjectStrategy = b.keySubjectStrategy;
        this.valueSubjectStrategy = b.valueSubjectStrategy;
        this.removeJavaProperties = b.removeJavaProperties;
        this.specificReader = b.specificReader;
        this.readerSchema = b.readerSchema;
        for (URI u : urls) {
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
                throw new ConfigException(URL, u.toString(), "must be an http:// or https:// URL");
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.urls.addAll(urls);
        b.basicAuthUser = basicAuthUser;
        b.basicAuthPassword = basicAuthPassword;
        b.trustStore = trustStore;
        b.trustStorePassword = trustStorePassword;
        b.trustStoreType = trustStoreType;
        b.keyStore = keyStore;
        b.keyStorePassword = keyStorePassword;
        b.keyStoreType = keyStoreType;
        b.keyPassword = keyPassword;
        b.connectTimeout = connectTimeout;
        b.requestTimeout = requestTimeout;
        b.maxRetries = maxRetries;
        b.retryBackoff = retryBackoff;
        b.retryBackoffMax = retryBackoffMax;
        b.autoRegister = autoRegister;
        b.useLatestVersion = useLatestVersion;
        b.keySubjectStrategy = keySubjectStrategy;
        b.valueSubjectStrategy = valueSubjectStrategy;
        b.removeJavaProperties = removeJavaProperties;
        b.specificReader = specificReader;
        b.readerSchema = readerSchema;
        return b;
    }

    /**
     * Reads the keys above from a Kafka-style config map; values may be strings or already-typed
     * (Boolean, Number, List, {@link Password}, {@link Path}, {@link Schema}).
     */
    public static RegistryConfig fromMap(Map<String, ?> configs) {
        Builder b = new Builder();
        Object urls = configs.get(URL);
        if (urls == null) {
            throw new ConfigException(URL, null, "missing: the Schema Registry URL(s) are required");
        }
        for (String u : list(urls)) {
            b.url(u);
        }
        String source = str(configs, BASIC_AUTH_CREDENTIALS_SOURCE);
        String userInfo = null;
        if (source == null || source.equalsIgnoreCase("USER_INFO")) {
            userInfo = str(configs, BASIC_AUTH_USER_INFO);
            if (userInfo == null) {
                userInfo = str(configs, "schema.registry." + BASIC_AUTH_USER_INFO);
            }
        } else if (source.equalsIgnoreCase("URL")) {
            userInfo = b.urls.get(0).getRawUserInfo();
        } else {
            throw new ConfigException(BASIC_AUTH_CREDENTIALS_SOURCE, source, "supported: USER_INFO, URL");
        }
        if (userInfo != null && !userInfo.isEmpty()) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                throw new ConfigException(BASIC_AUTH_USER_INFO, "(hidden)", "must be user:password");
            }
            b.basicAuth(userInfo.substring(0, colon), userInfo.substring(colon + 1));
        }
        String ts = str(configs, TRUSTSTORE_LOCATION);
        if (ts != null && !ts.isEmpty()) {
            b.trustStore(Path.of(ts), str(configs, TRUSTSTORE_PASSWORD), str(configs, TRUSTSTORE_TYPE));
        }
        String ks = str(configs, KEYSTORE_LOCATION);
        if (ks != null && !ks.isEmpty()) {
            b.keyStore(Path.of(ks), str(configs, KEYSTORE_PASSWORD), str(configs, KEY_PASSWORD), str(configs, KEYSTORE_TYPE));
        }
        Long v;
        if ((v = num(configs, CONNECT_TIMEOUT_MS)) != null) {
            b.connectTimeout(Duration.ofMillis(v));
        }
        if ((v = num(configs, REQUEST_TIMEOUT_MS)) != null) {
            b.requestTimeout(Duration.ofMillis(v));
        }
        if ((v = num(configs, MAX_RETRIES)) != null) {
            b.maxRetries(v.intValue());
        }
        if ((v = num(configs, RETRY_BACKOFF_MS)) != null) {
            b.retryBackoff(Duration.ofMillis(v), b.retryBackoffMax);
        }
        if ((v = num(configs, RETRY_BACKOFF_MAX_MS)) != null) {
            b.retryBackoff(b.retryBackoff, Duration.ofMillis(v));
        }
        Boolean f;
        if ((f = bool(configs, AUTO_REGISTER)) != null) {
            b.autoRegister(f);
        }
        if ((f = bool(configs, USE_LATEST_VERSION)) != null) {
            b.useLatestVersion(f);
        }
        if ((f = bool(configs, REMOVE_JAVA_PROPERTIES)) != null) {
            b.removeJavaProperties(f);
        }
        if ((f = bool(configs, SPECIFIC_READER)) != null) {
            b.specificReader(f);
        }
        String s;
        if ((s = str(configs, KEY_SUBJECT_NAME_STRATEGY)) != null) {
            b.keySubjectStrategy(strategy(KEY_SUBJECT_NAME_STRATEGY, s));
        }
        if ((s = str(configs, VALUE_SUBJECT_NAME_STRATEGY)) != null) {
            b.valueSubjectStrategy(strategy(VALUE_SUBJECT_NAME_STRATEGY, s));
        }
        Object reader = configs.get(READER_SCHEMA);
        if (reader instanceof Schema schema) {
            b.readerSchema(schema);
        } else if (reader != null && !reader.toString().isBlank()) {
            try {
                b.readerSchema(new Schema.Parser().parse(reader.toString()));
            } catch (RuntimeException e) {
                throw new ConfigException(READER_SCHEMA, "(schema)", "not a valid Avro schema: " + e.getMessage());
            }
        }
        return b.build();
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
        return trustStore;
    }

    public String trustStorePassword() {
        return trustStorePassword;
    }

    public String trustStoreType() {
        return trustStoreType;
    }

    public Path keyStore() {
        return keyStore;
    }

    public String keyStorePassword() {
        return keyStorePassword;
    }

    public String keyStoreType() {
        return keyStoreType;
    }

    public String keyPassword() {
        return keyPassword;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    public int maxRetries() {
        return maxRetries;
    }

    public Duration retryBackoff() {
        return retryBackoff;
    }

    public Duration retryBackoffMax() {
        return retryBackoffMax;
    }

    public boolean autoRegister() {
        return autoRegister;
    }

    public boolean useLatestVersion() {
        return useLatestVersion;
    }

    public SubjectNameStrategy subjectStrategy(boolean isKey) {
        return isKey ? keySubjectStrategy : valueSubjectStrategy;
    }

    public boolean removeJavaProperties() {
        return removeJavaProperties;
    }

    public boolean specificReader() {
        return specificReader;
    }

    /** The deserializer's reader schema, or null to read with the writer's (or the specific class's). */
    public Schema readerSchema() {
        return readerSchema;
    }

    @Override
    public String toString() {
        // no passwords
        return "RegistryConfig{urls=" + urls + ", basicAuthUser=" + basicAuthUser + ", trustStore=" + trustStore
            + ", keyStore=" + keyStore + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout
            + ", maxRetries=" + maxRetries + ", autoRegister=" + autoRegister + ", useLatestVersion=" + useLatestVersion
            + ", valueSubjectStrategy=" + valueSubjectStrategy + ", specificReader=" + specificReader + "}";
    }

    /** Mutable builder; defaults: 5 s connect, 10 s request, 3 retries from 100 ms up to 2 s, auto-register, topic strategy. */
    public static final class Builder {
        private final List<URI> urls = new ArrayList<>();
        private String basicAuthUser;
        private String basicAuthPassword;
        private Path trustStore;
        private String trustStorePassword;
        private String trustStoreType = "PKCS12";
        private Path keyStore;
        private String keyStorePassword;
        private String keyStoreType = "PKCS12";
        private String keyPassword;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private int maxRetries = 3;
        private Duration retryBackoff = Duration.ofMillis(100);
        private Duration retryBackoffMax = Duration.ofSeconds(2);
        private boolean autoRegister = true;
        private boolean useLatestVersion;
        private SubjectNameStrategy keySubjectStrategy = SubjectNameStrategy.TOPIC;
        private SubjectNameStrategy valueSubjectStrategy = SubjectNameStrategy.TOPIC;
        private boolean removeJavaProperties = true;
        private boolean specificReader;
        private Schema readerSchema;

        private Builder() {}

        /** Adds a base URL; a trailing '/' is dropped. */
        public Builder url(String url) {
            String u = url.trim();
            while (u.endsWith("/")) {
                u = u.substring(0, u.length() - 1);
            }
            try {
                urls.add(URI.create(u));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(URL, url, "not a URL: " + e.getMessage());
            }
            return this;
        }

        public Builder basicAuth(String user, String password) {
            this.basicAuthUser = Objects.requireNonNull(user, "user");
            this.basicAuthPassword = Objects.requireNonNull(password, "password");
            return this;
        }

        public Builder trustStore(Path location, String password, String type) {
            this.trustStore = location;
            this.trustStorePassword = password;
            if (type != null && !type.isBlank()) {
                this.trustStoreType = type;
            }
            return this;
        }

        public Builder keyStore(Path location, String password, String keyPassword, String type) {
            this.keyStore = location;
            this.keyStorePassword = password;
            this.keyPassword = keyPassword;
            if (type != null && !type.isBlank()) {
                this.keyStoreType = type;
            }
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        public Builder requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        public Builder maxRetries(int n) {
            this.maxRetries = n;
            return this;
        }

        public Builder retryBackoff(Duration first, Duration max) {
            this.retryBackoff = first;
            this.retryBackoffMax = max;
            return this;
        }

        public Builder autoRegister(boolean on) {
            this.autoRegister = on;
            return this;
        }

        public Builder useLatestVersion(boolean on) {
            this.useLatestVersion = on;
            return this;
        }

        /** Sets the strategy for both keys and values. */
        public Builder subjectStrategy(SubjectNameStrategy s) {
            return keySubjectStrategy(s).valueSubjectStrategy(s);
        }

        public Builder keySubjectStrategy(SubjectNameStrategy s) {
            this.keySubjectStrategy = Objects.requireNonNull(s);
            return this;
        }

        public Builder valueSubjectStrategy(SubjectNameStrategy s) {
            this.valueSubjectStrategy = Objects.requireNonNull(s);
            return this;
        }

        public Builder removeJavaProperties(boolean on) {
            this.removeJavaProperties = on;
            return this;
        }

        public Builder specificReader(boolean on) {
            this.specificReader = on;
            return this;
        }

        public Builder readerSchema(Schema s) {
            this.readerSchema = s;
            return this;
        }

        public RegistryConfig build() {
            return new RegistryConfig(this);
        }
    }

    private static Duration positive(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new ConfigException(key, d, "must be a positive duration");
        }
        return d;
    }

    private static SubjectNameStrategy strategy(String key, String value) {
        try {
            return SubjectNameStrategy.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, value, e.getMessage());
        }
    }

    private static List<String> list(Object v) {
        List<String> out = new ArrayList<>();
        if (v instanceof Collection<?> c) {
            c.forEach(x -> out.addAll(list(x)));
        } else {
            for (String s : v.toString().split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }

    private static String str(Map<String, ?> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Password p) {
            return p.value();
        }
        if (v instanceof Class<?> c) {
            return c.getName();
        }
        return v.toString();
    }

    private static Long num(Map<String, ?> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, v, "must be a whole number");
        }
    }

    private static Boolean bool(Map<String, ?> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.valueOf(s);
        }
        throw new ConfigException(key, v, "must be true or false");
    }
}
