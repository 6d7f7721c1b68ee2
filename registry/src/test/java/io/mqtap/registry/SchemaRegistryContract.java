package io.mqtap.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.mqtap.avro.MqOpen;
import io.mqtap.registry.serde.AvroDeserializer;
import io.mqtap.registry.serde.AvroSerializer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/**
 * What mqtap needs from any Confluent-compatible Schema Registry, run against a real one: Apicurio here
 * ({@link ApicurioRegistryTest}), Confluent's own where Docker exists ({@link ConfluentRegistryTest}).
 */
abstract class SchemaRegistryContract {

    /** The registry's Confluent-compatible base URL. */
    protected abstract String url();

    protected RegistryConfig.Builder config() {
        return RegistryConfig.builder().url(url()).maxRetries(1).retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200));
    }

    protected SchemaRegistryClient client() {
        return new SchemaRegistryClient(config().build());
    }

    @Test
    void registerIsIdempotentAndTheSameSchemaGetsTheSameId() {
        SchemaRegistryClient c = client();
        String subject = Samples.unique("reg") + "-value";
        Schema v1 = Samples.evo(Samples.unique("Reg").replace('-', '_'));
        int id = c.register(subject, v1);
        long calls = c.requestCount();
        assertThat(c.register(subject, v1)).isEqualTo(id);
        assertThat(c.requestCount()).as("a registered schema is cached").isEqualTo(calls);
        // a fresh client asks the registry again and gets the same id back
        SchemaRegistryClient other = client();
        assertThat(other.register(subject, v1)).isEqualTo(id);
        assertThat(other.lookup(subject, v1)).isEqualTo(id);
        assertThat(other.versions(subject)).containsExactly(1);
        // the same schema under another subject: ids are global per schema
        assertThat(other.register(Samples.unique("reg-other") + "-value", v1)).isEqualTo(id);
        assertThat(fingerprint(other.getById(id))).isEqualTo(fingerprint(v1));
        assertThat(other.subjects()).contains(subject);
    }

    @Test
    void latestVersionFollowsCompatibleEvolution() {
        SchemaRegistryClient c = client();
        String subject = Samples.unique("latest") + "-value";
        String name = Samples.unique("Latest").replace('-', '_');
        Schema v1 = Samples.evo(name);
        Schema v2 = Samples.evo(name, "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}");
        int id1 = c.register(subject, v1);
        assertThat(c.testCompatibility(subject, v2).compatible()).isTrue();
        int id2 = c.register(subject, v2);
        assertThat(id2).isNotEqualTo(id1);
        SchemaMetadata latest = c.latest(subject);
        assertThat(latest.id()).isEqualTo(id2);
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.subject()).isEqualTo(subject);
        assertThat(fingerprint(latest.schema())).isEqualTo(fingerprint(v2));
        assertThat(c.versions(subject)).containsExactly(1, 2);
    }

    @Test
    void incompatibleChangeIsRejectedWithTheSubjectAndTheRegistrysReason() {
        SchemaRegistryClient c = client();
        String subject = Samples.unique("incompat") + "-value";
        String name = Samples.unique("Incompat").replace('-', '_');
        c.register(subject, Samples.evo(name));
        // BACKWARD: the new schema cannot read 'id' written as long
        Schema broken = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"" + name + "\",\"namespace\":\"io.mqtap.test\",\"fields\":["
            + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"label\",\"type\":\"string\"}]}");
        CompatibilityResult verdict = c.testCompatibility(subject, broken);
        assertThat(verdict.compatible()).isFalse();
        assertThat(verdict.messages()).isNotEmpty();

        assertThatThrownBy(() -> c.register(subject, broken))
            .isInstanceOf(SchemaRegistryException.class)
            .hasMessageContaining("'" + subject + "'")
            .hasMessageContaining("incompatible")
            .asInstanceOf(type(SchemaRegistryException.class))
            .satisfies(e -> {
                assertThat(e.httpStatus()).isEqualTo(409);
                assertThat(e.isIncompatible()).isTrue();
                assertThat(e.subject()).isEqualTo(subject);
                assertThat(e.registryMessage()).isNotBlank();
                assertThat(e.getMessage()).contains(e.registryMessage());
            });
    }

    @Test
    void subjectCompatibilityCanBeReadAndSet() {
        SchemaRegistryClient c = client();
        String subject = Samples.unique("config") + "-value";
        c.register(subject, Samples.evo(Samples.unique("Config").replace('-', '_')));
        assertThat(c.getCompatibility(subject)).isNotBlank();
        assertThat(c.setCompatibility(subject, "FULL")).isEqualTo("FULL");
        assertThat(c.getCompatibility(subject)).isEqualTo("FULL");
        assertThat(c.getGlobalCompatibility()).isNotBlank();
    }

    @Test
    void specificRecordRoundTripsInTheConfluentWireFormat() {
        SchemaRegistryClient c = client();
        String topic = Samples.unique("mq-open-events");
        AvroSerializer<MqOpen> ser = new AvroSerializer<>(c);
        MqOpen record = Samples.mqOpen(42);
        byte[] bytes = ser.serialize(topic, record);

        assertThat(bytes[0]).as("magic byte").isEqualTo((byte) 0);
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(id).isEqualTo(c.lookup(topic + "-value", c.getById(id)));
        // the registered schema is the .avsc without the generator's avro.java.string properties
        assertThat(c.getById(id).toString()).doesNotContain("avro.java");

        AvroDeserializer<MqOpen> de = new AvroDeserializer<>(client(), MqOpen.class);
        assertThat(de.deserialize(topic, bytes)).isEqualTo(record);
        GenericRecord generic = new AvroDeserializer<GenericRecord>(client()).deserialize(topic, bytes);
        assertThat(generic.get("name")).hasToString("orders.in");
        assertThat(generic.get("timestamp")).isEqualTo(java.time.temporal.ChronoUnit.MICROS.between(java.time.Instant.EPOCH, record.getTimestamp()));
    }

    @Test
    void oldWriterNewReaderAndNewWriterOldReader() {
        SchemaRegistryClient c = client();
        String topic = Samples.unique("evolve");
        String name = Samples.unique("Evolve").replace('-', '_');
        Schema v1 = Samples.evo(name);
        Schema v2 = Samples.evo(name, "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}",
            "{\"name\":\"count\",\"type\":\"int\",\"default\":7}");
        AvroSerializer<GenericRecord> ser = new AvroSerializer<>(c);

        GenericRecord old = new GenericData.Record(v1);
        old.put("id", 1L);
        old.put("label", "written by v1");
        byte[] oldBytes = ser.serialize(topic, old);
        GenericRecord newer = new GenericData.Record(v2);
        newer.put("id", 2L);
        newer.put("label", "written by v2");
        newer.put("note", "only v2 knows");
        newer.put("count", 3);
        byte[] newBytes = ser.serialize(topic, newer);
        assertThat(ByteBuffer.wrap(newBytes, 1, 4).getInt()).isNotEqualTo(ByteBuffer.wrap(oldBytes, 1, 4).getInt());

        GenericRecord readNew = new AvroDeserializer<GenericRecord>(client(), v2).deserialize(topic, oldBytes);
        assertThat(readNew.getSchema()).isEqualTo(v2);
        assertThat(readNew.get("label")).hasToString("written by v1");
        assertThat(readNew.get("note")).isNull();
        assertThat(readNew.get("count")).isEqualTo(7);

        GenericRecord readOld = new AvroDeserializer<GenericRecord>(client(), v1).deserialize(topic, newBytes);
        assertThat(readOld.getSchema()).isEqualTo(v1);
        assertThat(readOld.get("id")).isEqualTo(2L);
        assertThat(readOld.get("label")).hasToString("written by v2");
    }

    @Test
    void mqOpenEvolvesBothWays() {
        SchemaRegistryClient c = client();
        String topic = Samples.unique("mq-open-evolve");
        // an older producer whose MqOpen lacked the optional attrError and durationNs
        Schema older = withoutFields(MqOpen.getClassSchema(), "attrError", "durationNs");
        GenericRecord oldRecord = toGeneric(Samples.mqOpen(1), older);
        byte[] oldBytes = new AvroSerializer<GenericRecord>(c).serialize(topic, oldRecord);
        MqOpen read = new AvroDeserializer<>(client(), MqOpen.class).deserialize(topic, oldBytes);
        assertThat(read.getAttrError()).isNull();
        assertThat(read.getDurationNs()).isNull();
        assertThat(read.getName()).isEqualTo("orders.in");

        // a newer producer that added a field; today's readers skip it
        Schema newer = withExtraField(MqOpen.getClassSchema(), "{\"name\":\"kernelRelease\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"uname -r\"}");
        GenericRecord newRecord = toGeneric(Samples.mqOpen(2), newer);
        newRecord.put("kernelRelease", "6.18.0");
        byte[] newBytes = new AvroSerializer<GenericRecord>(c).serialize(topic, newRecord);
        assertThat(new AvroDeserializer<>(client(), MqOpen.class).deserialize(topic, newBytes)).isEqualTo(Samples.mqOpen(2));
    }

    @Test
    void badBytesAreRejectedSayingWhich() {
        SchemaRegistryClient c = client();
        String topic = Samples.unique("bad");
        byte[] good = new AvroSerializer<MqOpen>(c).serialize(topic, Samples.mqOpen(1));
        AvroDeserializer<MqOpen> de = new AvroDeserializer<>(client(), MqOpen.class);

        byte[] badMagic = good.clone();
        badMagic[0] = 1;
        assertThatThrownBy(() -> de.deserialize(topic, badMagic)).isInstanceOf(SerializationException.class)
            .hasMessageContaining("magic byte 0x01");
        byte[] json = "{\"a\":1}".getBytes();
        assertThatThrownBy(() -> de.deserialize(topic, json)).isInstanceOf(SerializationException.class)
            .hasMessageContaining("magic byte 0x7b");

        byte[] unknown = good.clone();
        ByteBuffer.wrap(unknown).putInt(1, 987_654_321);
        assertThatThrownBy(() -> de.deserialize(topic, unknown)).isInstanceOf(SerializationException.class)
            .hasMessageContaining("Unknown schema id 987654321")
            .hasMessageContaining("404");

        assertThatThrownBy(() -> de.deserialize(topic, Arrays.copyOf(good, 3))).isInstanceOf(SerializationException.class)
            .hasMessageContaining("Truncated").hasMessageContaining("3 bytes");
        assertThatThrownBy(() -> de.deserialize(topic, new byte[0])).isInstanceOf(SerializationException.class)
            .hasMessageContaining("Truncated");
        assertThatThrownBy(() -> de.deserialize(topic, Arrays.copyOf(good, good.length - 10))).isInstanceOf(SerializationException.class)
            .hasMessageContaining("Truncated").hasMessageContaining("end before the record");
        assertThat(de.deserialize(topic, null)).isNull();
        assertThat(de.deserialize(topic, good)).isEqualTo(Samples.mqOpen(1));
    }

    @Test
    void subjectNameStrategies() {
        String name = Samples.unique("Strat").replace('-', '_');
        Schema s = Samples.evo(name);
        GenericRecord r = new GenericData.Record(s);
        r.put("id", 1L);
        r.put("label", "x");
        String topic = Samples.unique("strat");
        SchemaRegistryClient probe = client();

        for (SubjectNameStrategy strategy : SubjectNameStrategy.values()) {
            SchemaRegistryClient c = new SchemaRegistryClient(config().subjectStrategy(strategy).build());
            new AvroSerializer<GenericRecord>(c, false).serialize(topic, r);
            new AvroSerializer<GenericRecord>(c, true).serialize(topic, r);
        }
        assertThat(probe.subjects()).contains(topic + "-value", topic + "-key", "io.mqtap.test." + name, topic + "-io.mqtap.test." + name);
    }

    @Test
    void eachSchemaCostsOneCallNotOnePerRecord() {
        SchemaRegistryClient writerClient = client();
        SchemaRegistryClient readerClient = client();
        String topic = Samples.unique("cache");
        AvroSerializer<MqOpen> ser = new AvroSerializer<>(writerClient);
        AvroDeserializer<MqOpen> de = new AvroDeserializer<>(readerClient, MqOpen.class);
        for (int i = 0; i < 1000; i++) {
            MqOpen m = Samples.mqOpen(i);
            assertThat(de.deserialize(topic, ser.serialize(topic, m))).isEqualTo(m);
        }
        assertThat(writerClient.requestCount()).as("one registration").isEqualTo(1);
        assertThat(readerClient.requestCount()).as("one schema fetch").isEqualTo(1);
    }

    @Test
    void withoutAutoRegisterTheSchemaMustExist() {
        String topic = Samples.unique("noauto");
        String name = Samples.unique("NoAuto").replace('-', '_');
        Schema s = Samples.evo(name);
        GenericRecord r = new GenericData.Record(s);
        r.put("id", 1L);
        r.put("label", "x");
        AvroSerializer<GenericRecord> strict = new AvroSerializer<>(new SchemaRegistryClient(config().autoRegister(false).build()));
        assertThatThrownBy(() -> strict.serialize(topic, r)).isInstanceOf(SerializationException.class)
            .hasMessageContaining("look up").hasMessageContaining(topic + "-value").hasMessageContaining("404");

        int id = client().register(topic + "-value", s);
        assertThat(ByteBuffer.wrap(strict.serialize(topic, r), 1, 4).getInt()).isEqualTo(id);
        AvroSerializer<GenericRecord> latest = new AvroSerializer<>(new SchemaRegistryClient(config().autoRegister(false).useLatestVersion(true).build()));
        assertThat(ByteBuffer.wrap(latest.serialize(topic, r), 1, 4).getInt()).isEqualTo(id);
    }

    @Test
    void configuredFromKafkaStyleMapsLikeKafkaDoes() {
        String topic = Samples.unique("kafka-configured");
        java.util.Map<String, Object> props = java.util.Map.of(
            RegistryConfig.URL, url(),
            RegistryConfig.SPECIFIC_READER, "true",
            "bootstrap.servers", "127.0.0.1:9092");
        try (AvroSerializer<MqOpen> ser = new AvroSerializer<>(); AvroDeserializer<MqOpen> de = new AvroDeserializer<>();
             io.mqtap.registry.serde.AvroSerde<MqOpen> serde = new io.mqtap.registry.serde.AvroSerde<>()) {
            ser.configure(props, false);
            de.configure(props, false);
            serde.configure(props, false);
            byte[] bytes = ser.serialize(topic, Samples.mqOpen(3));
            assertThat(de.deserialize(topic, bytes)).isEqualTo(Samples.mqOpen(3));
            assertThat(serde.deserializer().deserialize(topic, serde.serializer().serialize(topic, Samples.mqOpen(4)))).isEqualTo(Samples.mqOpen(4));
        }
    }

    @Test
    void sharedSerdesAreThreadSafe() throws Exception {
        String topic = Samples.unique("threads");
        AvroSerializer<MqOpen> ser = new AvroSerializer<>(client());
        AvroDeserializer<MqOpen> de = new AvroDeserializer<>(client(), MqOpen.class);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> done = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int base = t * 100_000;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 5_000; i++) {
                        MqOpen m = Samples.mqOpen(base + i);
                        assertThat(de.deserialize(topic, ser.serialize(topic, m))).isEqualTo(m);
                    }
                    return 5_000;
                }));
            }
            for (java.util.concurrent.Future<Integer> f : done) {
                assertThat(f.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(5_000);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentFirstRegistrationsOfASubjectAllGetTheId() throws Exception {
        // a fleet of producers starting together: separate clients race to create the same subject
        String subject = Samples.unique("race") + "-value";
        Schema s = Samples.evo(Samples.unique("Race").replace('-', '_'));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.List<java.util.concurrent.Future<Integer>> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                SchemaRegistryClient c = client();
                ids.add(pool.submit(() -> {
                    go.await();
                    return c.register(subject, s);
                }));
            }
            go.countDown();
            java.util.Set<Integer> distinct = new java.util.HashSet<>();
            for (java.util.concurrent.Future<Integer> f : ids) {
                distinct.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertThat(distinct).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void schemaResolvedAheadServesGeneratedAndGenericRecords() {
        SchemaRegistryClient c = client();
        String topic = Samples.unique("ahead");
        AvroSerializer<Object> ser = new AvroSerializer<>(c);
        int id = ser.schemaId(topic, MqOpen.getClassSchema()); // what the producer does at start-up
        long calls = c.requestCount();
        byte[] specific = ser.serialize(topic, Samples.mqOpen(5));
        assertThat(ByteBuffer.wrap(specific, 1, 4).getInt()).isEqualTo(id);
        GenericRecord generic = new AvroDeserializer<GenericRecord>(client()).deserialize(topic, specific);
        GenericRecord sameSchema = new GenericData.Record(MqOpen.getClassSchema());
        MqOpen.getClassSchema().getFields().forEach(f -> sameSchema.put(f.pos(), generic.get(f.name())));
        assertThat(ser.serialize(topic, sameSchema)).isEqualTo(specific);
        assertThat(c.requestCount()).as("no registry call after schemaId").isEqualTo(calls);
    }

    static long fingerprint(Schema s) {
        return SchemaNormalization.parsingFingerprint64(s);
    }

    static Schema withoutFields(Schema s, String... names) {
        Schema copy = Schema.createRecord(s.getName(), s.getDoc(), s.getNamespace(), false,
            s.getFields().stream().filter(f -> !Arrays.asList(names).contains(f.name()))
                .map(f -> new Schema.Field(f, f.schema())).toList());
        return new Schema.Parser().parse(copy.toString());
    }

    static Schema withExtraField(Schema s, String fieldJson) {
        String json = s.toString();
        return new Schema.Parser().parse(json.substring(0, json.length() - 2) + "," + fieldJson + "]}");
    }

    /** The same values in a GenericRecord of {@code schema} (fields it lacks are dropped). */
    static GenericRecord toGeneric(MqOpen m, Schema schema) {
        GenericRecord g = new GenericData.Record(schema);
        for (Schema.Field f : schema.getFields()) {
            Schema.Field mf = MqOpen.getClassSchema().getField(f.name());
            if (mf == null) {
                continue;
            }
            Object v = m.get(mf.pos());
            if (f.name().equals("timestamp")) {
                v = ((java.time.Instant) v).getEpochSecond() * 1_000_000L + ((java.time.Instant) v).getNano() / 1000;
            } else if (f.name().equals("attr") && v != null) {
                Schema attrSchema = f.schema().getTypes().get(1);
                GenericRecord a = new GenericData.Record(attrSchema);
                io.mqtap.avro.MqAttr ma = (io.mqtap.avro.MqAttr) v;
                for (Schema.Field af : attrSchema.getFields()) {
                    a.put(af.name(), ma.get(af.pos()));
                }
                v = a;
            }
            g.put(f.name(), v);
        }
        return g;
    }
}
