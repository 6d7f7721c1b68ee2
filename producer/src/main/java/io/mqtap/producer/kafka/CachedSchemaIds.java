package io.mqtap.producer.kafka;

import io.mqtap.registry.SchemaRegistryException;
import io.mqtap.registry.serde.AvroSerializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves every writer schema's id at start, through the {@link SchemaIdCache} when it holds them all for this
 * registry: then one lookup (of the schema with the highest cached id, the newest) must give back its cached id, and
 * the others are taken from the cache without a call. A mismatch, or a canary the registry no longer has under its
 * subject (deleted, another registry behind the URL), distrusts the whole cache: every schema is looked up (or
 * registered when allowed) and the cache rewritten. So a restart storm costs one registry call per host, spread by
 * {@link #startDelayMillis()}.
 */
public final class CachedSchemaIds implements SchemaGate.Registration {
    private static final Logger LOG = LoggerFactory.getLogger(CachedSchemaIds.class);

    /** How the last {@link #registerAll()} got its ids. */
    public enum Outcome { NOT_YET, CACHE_VERIFIED, RESOLVED }

    private final AvroSerializer<?> values;
    private final List<KafkaWiring.TopicSchema> schemas;
    private final SchemaIdCache cache;
    private final String url;
    private final long jitterMillis;
    private volatile Outcome outcome = Outcome.NOT_YET;

    /** {@code cache} null: no cache (every start looks every schema up). */
    public CachedSchemaIds(AvroSerializer<?> values, List<KafkaWiring.TopicSchema> schemas, SchemaIdCache cache, String url,
                           long jitterMillis) {
        if (jitterMillis < 0) throw new IllegalArgumentException("jitterMillis must be >= 0, was " + jitterMillis);
        this.values = values;
        this.schemas = List.copyOf(schemas);
        this.cache = cache;
        this.url = url.trim();
        this.jitterMillis = jitterMillis;
    }

    private record Named(KafkaWiring.TopicSchema ts, String subject, Schema registered, SchemaIdCache.Key key) {}

    /**
     * A random wait in [0, jitter] before the first registry call when the cache covers every schema (a host that ran
     * before: the restart storm's case), so a fleet restarting together spreads its calls; 0 on a first start.
     */
    public long startDelayMillis() {
        if (jitterMillis == 0 || !usable()) return 0;
        return covered(named(), cache.load(url)) ? ThreadLocalRandom.current().nextLong(jitterMillis + 1) : 0;
    }

    @Override
    public void registerAll() {
        List<Named> named = named();
        if (usable()) {
            Map<SchemaIdCache.Key, Integer> cached = cache.load(url);
            if (covered(named, cached) && verified(named, cached)) {
                for (Named n : named) values.client().remember(n.subject(), n.registered(), cached.get(n.key()));
                for (Named n : named) values.schemaId(n.ts().topic(), n.ts().schema()); // from what was remembered: no call
                outcome = Outcome.CACHE_VERIFIED;
                return;
            }
        }
        Map<SchemaIdCache.Key, Integer> ids = new LinkedHashMap<>();
        for (Named n : named) ids.put(n.key(), resolve(n));
        outcome = Outcome.RESOLVED;
        if (cache == null) return;
        try {
            cache.save(url, ids);
        } catch (IOException | RuntimeException e) {
            // only the next start's saving is lost: it looks the schemas up again
            LOG.warn("Could not write the schema id cache {} (schemaRegistry.idCacheFile): {}", cache.file(), e.toString());
        }
    }

    /** One schema's id; a schema missing with autoRegister off says what to run (the caller keeps capturing into the spool). */
    private int resolve(Named n) {
        try {
            return values.schemaId(n.ts().topic(), n.ts().schema());
        } catch (SerializationException e) {
            if (values.client().config().autoRegister() || !(e.getCause() instanceof SchemaRegistryException r) || !r.isNotFound()) throw e;
            throw new SerializationException("schema " + n.ts().schema().getFullName() + " is not registered under subject '" + n.subject()
                    + "' and schemaRegistry.autoRegister is false: register this build's schemas with `mqtap register-schemas <config>`"
                    + " (`./mqtap schemas register <config>` from a checkout); records wait in the spool until then", e);
        }
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The canary's lookup gives its cached id; not found or another id distrusts the cache. Other failures are thrown (the gate retries). */
    private boolean verified(List<Named> named, Map<SchemaIdCache.Key, Integer> cached) {
        Named canary = named.stream().max(Comparator.comparingInt(n -> cached.get(n.key()))).orElseThrow();
        int want = cached.get(canary.key());
        int got;
        try {
            got = values.client().lookup(canary.subject(), canary.registered());
        } catch (SchemaRegistryException e) {
            if (!e.isNotFound()) throw e;
            LOG.warn("Schema id cache {} not trusted: the registry has no {} under subject '{}' ({}); looking every schema up",
                    cache.file(), canary.ts().schema().getFullName(), canary.subject(), e.getMessage());
            return false;
        }
        if (got != want) {
            LOG.warn("Schema id cache {} not trusted: the registry gives {} under subject '{}' id {}, the cache {}; looking every schema up",
                    cache.file(), canary.ts().schema().getFullName(), canary.subject(), got, want);
            return false;
        }
        return true;
    }

    /** With use.latest.version the id is the subject's latest, asked each start: not cached. */
    private boolean usable() {
        return cache != null && !values.client().config().useLatestVersion();
    }

    private List<Named> named() {
        List<Named> out = new ArrayList<>();
        for (KafkaWiring.TopicSchema ts : schemas) {
            AvroSerializer.Subject s = values.subjectOf(ts.topic(), ts.schema());
            out.add(new Named(ts, s.name(), s.registered(), new SchemaIdCache.Key(s.name(), SchemaIdCache.fingerprint(s.registered()))));
        }
        return out;
    }

    private static boolean covered(List<Named> named, Map<SchemaIdCache.Key, Integer> cached) {
        return !named.isEmpty() && named.stream().allMatch(n -> cached.containsKey(n.key()));
    }
}
