package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import io.mqtap.registry.RegistryConfig;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The {@code schemaRegistry} section: where schemas are registered, how to authenticate, and the subject rules. */
public class SchemaRegistryFactory {
    /** Comma-separated base URLs of a Confluent-compatible registry (Apicurio: .../apis/ccompat/v7). */
    @NotEmpty
    @Pattern(regexp = "(?i)\\s*https?://[^\\s,]+(\\s*,\\s*https?://[^\\s,]+)*\\s*",
            message = "must be one or more http:// or https:// URLs, comma-separated")
    @JsonProperty
    private String url;

    /** {@code user:password} for HTTP basic auth; use ${ENV_VAR} substitution, never a literal secret. */
    @JsonProperty
    private String basicAuthUserInfo;

    @JsonProperty private String trustStore;
    @JsonProperty private String trustStorePassword;
    @JsonProperty private String keyStore;
    @JsonProperty private String keyStorePassword;

    /** topic (default), record, or topic-record. */
    @NotNull
    @Pattern(regexp = "(?i)topic|record|topic-record", message = "must be topic, record or topic-record")
    @JsonProperty
    private String subjectStrategy = "topic";

    /**
     * Require the schemas to be registered already (false, the default: a fleet's hosts only look them up, and
     * {@code mqtap register-schemas} registers them once per release) or register them at start (true: a registry write
     * per schema per host start).
     */
    @JsonProperty
    private boolean autoRegister = false;

    /** Use the subject's latest registered version instead of the producer's own schema. */
    @JsonProperty
    private boolean useLatestVersion = false;

    /**
     * Keep the resolved schema ids across restarts (verified at start with one registry call), so a fleet's restart
     * storm costs the registry one call per host instead of one per schema.
     */
    @JsonProperty
    private boolean idCache = true;

    /** The id cache's file; empty: {@code schema-ids.json} in {@code spool.dir} (the host's state directory). */
    @NotNull
    @JsonProperty
    private String idCacheFile = "";

    /**
     * When the id cache covers every schema (a restart), wait a random time up to this before the first registry call,
     * so a fleet restarting together spreads its calls; records wait in the spool meanwhile. 0 to 5 minutes.
     */
    @NotNull
    @MaxDuration(value = 5, unit = TimeUnit.MINUTES)
    @JsonProperty
    private Duration startJitter = Duration.seconds(5);

    /** Any other serde or client key, passed through (e.g. schema.registry.request.timeout.ms). */
    @NotNull
    @JsonProperty
    private Map<String, String> properties = new LinkedHashMap<>();

    /** The serde configuration, in the Kafka-style keys the serializers and the client take. */
    public Map<String, Object> serdeConfig() {
        Map<String, Object> m = new HashMap<>(properties);
        m.put(RegistryConfig.URL, url);
        if (basicAuthUserInfo != null && !basicAuthUserInfo.isEmpty()) m.put(RegistryConfig.BASIC_AUTH_USER_INFO, basicAuthUserInfo);
        if (trustStore != null) {
            m.put(RegistryConfig.TRUSTSTORE_LOCATION, trustStore);
            if (trustStorePassword != null) m.put(RegistryConfig.TRUSTSTORE_PASSWORD, trustStorePassword);
        }
        if (keyStore != null) {
            m.put(RegistryConfig.KEYSTORE_LOCATION, keyStore);
            if (keyStorePassword != null) m.put(RegistryConfig.KEYSTORE_PASSWORD, keyStorePassword);
        }
        m.put(RegistryConfig.VALUE_SUBJECT_NAME_STRATEGY, subjectStrategy.toLowerCase(java.util.Locale.ROOT));
        m.put(RegistryConfig.AUTO_REGISTER, autoRegister);
        m.put(RegistryConfig.USE_LATEST_VERSION, useLatestVersion);
        return m;
    }

    /** The id cache's file for a producer spooling in {@code spoolDir}; null when {@code idCache} is off. */
    public Path idCachePath(String spoolDir) {
        if (!idCache) return null;
        return idCacheFile == null || idCacheFile.isBlank() ? Path.of(spoolDir, "schema-ids.json") : Path.of(idCacheFile.trim());
    }

    public boolean isIdCache() { return idCache; }
    public void setIdCache(boolean v) { idCache = v; }
    public String getIdCacheFile() { return idCacheFile; }
    public void setIdCacheFile(String v) { idCacheFile = v == null ? "" : v; }
    public Duration getStartJitter() { return startJitter; }
    public void setStartJitter(Duration v) { startJitter = v; }
    public String getUrl() { return url; }
    public void setUrl(String v) { url = v; }
    public String getBasicAuthUserInfo() { return basicAuthUserInfo; }
    public void setBasicAuthUserInfo(String v) { basicAuthUserInfo = v; }
    public String getTrustStore() { return trustStore; }
    public void setTrustStore(String v) { trustStore = v; }
    public String getTrustStorePassword() { return trustStorePassword; }
    public void setTrustStorePassword(String v) { trustStorePassword = v; }
    public String getKeyStore() { return keyStore; }
    public void setKeyStore(String v) { keyStore = v; }
    public String getKeyStorePassword() { return keyStorePassword; }
    public void setKeyStorePassword(String v) { keyStorePassword = v; }
    public String getSubjectStrategy() { return subjectStrategy; }
    public void setSubjectStrategy(String v) { subjectStrategy = v; }
    public boolean isAutoRegister() { return autoRegister; }
    public void setAutoRegister(boolean v) { autoRegister = v; }
    public boolean isUseLatestVersion() { return useLatestVersion; }
    public void setUseLatestVersion(boolean v) { useLatestVersion = v; }
    public Map<String, String> getProperties() { return properties; }
    public void setProperties(Map<String, String> v) { properties = v == null ? new LinkedHashMap<>() : v; }
}
