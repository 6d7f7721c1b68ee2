package io.mqtap.producer.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mqtap.producer.config.KafkaFactory;
import io.mqtap.producer.config.SchemaRegistryFactory;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a real registry: a restart with the id cache costs one registry call, and a cache that is not this
 * registry's truth (another URL, the canary's subject deleted, a registry that forgot and was filled in another order)
 * is never used: every id then comes from the registry itself.
 */
@Tag("registry")
class CachedSchemaIdsTest {
    @TempDir Path dir;

    @Test
    void aRestartCostsOneCallAndUsesTheCachedIds() {
        Host h = new Host(SchemaRegistryServer.shared(), dir.resolve("schema-ids.json"));
        h.registerSchemas();
        Start first = h.start();
        assertThat(first.outcome).isEqualTo(CachedSchemaIds.Outcome.RESOLVED);
        assertThat(first.calls).as("a first start looks up each schema").isEqualTo(h.schemas().size());
        assertThat(Files.exists(h.cache)).isTrue();

        Start again = h.start();
        assertThat(again.outcome).isEqualTo(CachedSchemaIds.Outcome.CACHE_VERIFIED);
        assertThat(again.calls).as("a restart: one lookup, the canary").isEqualTo(1);
        assertThat(again.ids).isEqualTo(first.ids).isEqualTo(h.truth());
    }

    @Test
    void aHostWhoseSchemasWereNotRegisteredSaysWhatToRun() {
        Host h = new Host(SchemaRegistryServer.shared(), dir.resolve("schema-ids.json"));
        assertThat(h.factory.isAutoRegister()).as("the fleet default").isFalse();
        assertThatThrownBy(h::start).isInstanceOf(SerializationException.class)
                .hasMessageContaining("is not registered under subject")
                .hasMessageContaining("schemaRegistry.autoRegister is false")
                .hasMessageContaining("mqtap register-schemas <config>").hasMessageContaining("./mqtap schemas register <config>")
                .hasMessageContaining("records wait in the spool");
    }

    @Test
    void anotherRegistrysCacheIsNotUsed() throws Exception {
        Host h = new Host(SchemaRegistryServer.shared(), dir.resolve("schema-ids.json"));
        h.registerSchemas();
        Start first = h.start();
        // the same subjects and schemas, with other ids, cached for another registry's URL
        Map<SchemaIdCache.Key, Integer> foreign = new LinkedHashMap<>();
        new SchemaIdCache(h.cache).load(h.registry.url()).forEach((k, id) -> foreign.put(k, id + 1000));
        assertThat(foreign).hasSize(h.schemas().size());
        new SchemaIdCache(h.cache).save("http://127.0.0.1:1/apis/ccompat/v7", foreign);

        Start next = h.start();
        assertThat(next.outcome).isEqualTo(CachedSchemaIds.Outcome.RESOLVED);
        assertThat(next.calls).isEqualTo(h.schemas().size());
        assertThat(next.ids).isEqualTo(first.ids).isEqualTo(h.truth());
        assertThat(new SchemaIdCache(h.cache).load(h.registry.url())).as("rewritten for this registry").hasSize(h.schemas().size());
    }

    @Test
    void aCacheWhoseCanarySubjectWasDeletedIsNotTrusted() throws Exception {
        Host h = new Host(SchemaRegistryServer.shared(), dir.resolve("schema-ids.json"));
        h.factory.setAutoRegister(true); // a host that may register: it puts the schema back
        h.start();
        h.delete(h.canarySubject());

        Start next = h.start();
        assertThat(next.outcome).isEqualTo(CachedSchemaIds.Outcome.RESOLVED);
        assertThat(next.calls).as("the canary, then every schema registered again").isEqualTo(1 + h.schemas().size());
        assertThat(next.ids).isEqualTo(h.truth());
    }

    @Test
    void aCacheWhoseCanarySubjectNowHoldsAnotherSchemaIsNotTrustedAndNothingIsResolved() throws Exception {
        Host h = new Host(SchemaRegistryServer.shared(), dir.resolve("schema-ids.json"));
        h.registerSchemas();
        h.start();
        String canary = h.canarySubject();
        h.delete(canary);
        h.registerUnder(canary, SchemaBuilder.record("SomethingElse").namespace("test").fields().requiredInt("x").endRecord());

        assertThatThrownBy(h::start).as("the cached id is not used, and the lookup finds nothing")
                .isInstanceOf(SerializationException.class).hasMessageContaining(canary);
    }

    @Test
    void aRegistryThatForgotAndWasFilledInAnotherOrderIsNotTrusted() {
        SchemaRegistryServer own = SchemaRegistryServer.start(); // restarted below: not the shared one
        try (own) {
            Host h = new Host(own, dir.resolve("schema-ids.json"));
            h.registerSchemas();
            Start first = h.start();
            own.restart(); // same URL, in-memory storage: every schema and id forgotten
            List<KafkaWiring.TopicSchema> reversed = new ArrayList<>(h.schemas());
            Collections.reverse(reversed);
            for (KafkaWiring.TopicSchema ts : reversed) h.registerAsTheCommandWould(ts);

            Start next = h.start();
            assertThat(next.outcome).isEqualTo(CachedSchemaIds.Outcome.RESOLVED);
            assertThat(next.ids).isEqualTo(h.truth()).isNotEqualTo(first.ids);
        }
    }

    /** One start's outcome: how the ids were got, the registry calls it took, each schema's id by topic. */
    private record Start(CachedSchemaIds.Outcome outcome, long calls, Map<String, Integer> ids) {}

    /** A producer's schema set on topics of this test alone, in one registry, with its cache file. */
    private static final class Host {
        final SchemaRegistryServer registry;
        final Path cache;
        final KafkaFactory kafka = new KafkaFactory();
        final SchemaRegistryFactory factory = new SchemaRegistryFactory();

        Host(SchemaRegistryServer registry, Path cache) {
            this.registry = registry;
            this.cache = cache;
            String p = "cache-" + UUID.randomUUID().toString().substring(0, 8) + "-";
            kafka.setTopic(p + "open");
            kafka.setStatsTopic(p + "stats");
            kafka.setUnlinkTopic(p + "unlink");
            kafka.setNotifyTopic(p + "notify");
            kafka.setSetattrTopic(p + "setattr");
            kafka.setAccessTopic(p + "access");
            kafka.setTransferTopic(p + "transfer");
            factory.setUrl(registry.url());
            factory.setStartJitter(io.dropwizard.util.Duration.milliseconds(0));
        }

        /** What {@code mqtap register-schemas} does with this host's config. */
        void registerSchemas() {
            io.mqtap.producer.MqTapConfiguration config = new io.mqtap.producer.MqTapConfiguration();
            config.setKafka(kafka);
            config.setSchemaRegistry(factory);
            io.mqtap.producer.cli.RegisterSchemasCommand.register(config);
        }

        List<KafkaWiring.TopicSchema> schemas() {
            return KafkaWiring.schemas(kafka);
        }

        /** A producer start: a fresh serializer (a new process), the cached registration. */
        Start start() {
            try (AvroSerializer<SpecificRecord> values = new AvroSerializer<>()) {
                values.configure(factory.serdeConfig(), false);
                CachedSchemaIds ids = new CachedSchemaIds(values, schemas(), new SchemaIdCache(cache), registry.url(), 0);
                ids.registerAll();
                long calls = values.client().requestCount();
                Map<String, Integer> byTopic = new LinkedHashMap<>();
                for (KafkaWiring.TopicSchema ts : schemas()) byTopic.put(ts.topic(), values.schemaId(ts.topic(), ts.schema()));
                assertThat(values.client().requestCount()).as("nothing asked after the start").isEqualTo(calls);
                return new Start(ids.outcome(), calls, byTopic);
            }
        }

        /** Each schema's id as the registry gives it now, asked by a client without any cache. */
        Map<String, Integer> truth() {
            try (AvroSerializer<SpecificRecord> values = new AvroSerializer<>()) {
                values.configure(factory.serdeConfig(), false);
                Map<String, Integer> byTopic = new LinkedHashMap<>();
                for (KafkaWiring.TopicSchema ts : schemas()) {
                    AvroSerializer.Subject s = values.subjectOf(ts.topic(), ts.schema());
                    byTopic.put(ts.topic(), values.client().lookup(s.name(), s.registered()));
                }
                return byTopic;
            }
        }

        /** The subject of the cached entry with the highest id: the one a start verifies. */
        String canarySubject() {
            return new SchemaIdCache(cache).load(registry.url()).entrySet().stream().max(Map.Entry.comparingByValue())
                    .orElseThrow().getKey().subject();
        }

        void delete(String subject) throws Exception {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(registry.url() + "/subjects/" + subject))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }

        /** One schema under its subject, as the producer names and writes it (the command's code, one schema at a time). */
        void registerAsTheCommandWould(KafkaWiring.TopicSchema ts) {
            try (AvroSerializer<SpecificRecord> values = new AvroSerializer<>()) {
                values.configure(factory.serdeConfig(), false);
                AvroSerializer.Subject s = values.subjectOf(ts.topic(), ts.schema());
                values.client().register(s.name(), s.registered());
            }
        }

        void registerUnder(String subject, org.apache.avro.Schema schema) {
            try (AvroSerializer<SpecificRecord> values = new AvroSerializer<>()) {
                values.configure(factory.serdeConfig(), false);
                values.client().register(subject, schema);
            }
        }
    }
}
