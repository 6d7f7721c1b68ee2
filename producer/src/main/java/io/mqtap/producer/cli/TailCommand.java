package io.mqtap.producer.cli;

import io.dropwizard.core.cli.Command;
import io.dropwizard.core.setup.Bootstrap;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.serde.AvroDeserializer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * {@code tail}: prints topics' records, decoded through the registry, as one JSON object per line, each with a
 * {@code type} field naming its record (MqOpen, MqUnlink, MqNotify, MqSetAttr, MqAccess, MqTransfer, MqOpenStats).
 * By default every record topic the producer writes.
 */
public class TailCommand extends Command {
    /** The producer's record topics by default, one per record type (README, Records and topics). */
    public static final String DEFAULT_TOPICS = "mq-open-events,mq-unlink-events,mq-notify-events,mq-setattr-events,mq-access-events,mq-transfer-events";

    public TailCommand() {
        super("tail", "Print a topic's records as JSON lines, decoded through the Schema Registry");
    }

    @Override
    public void configure(Subparser p) {
        p.addArgument("--bootstrap-servers").dest("bootstrap").setDefault("127.0.0.1:9092").help("Kafka bootstrap servers");
        p.addArgument("--schema-registry-url").dest("registry").setDefault("http://127.0.0.1:8081").help("Schema Registry base URL");
        p.addArgument("--topic").dest("topic").setDefault(DEFAULT_TOPICS)
                .help("topic(s) to read, comma-separated (default: every record topic, " + DEFAULT_TOPICS + ")");
        p.addArgument("--from-beginning").dest("fromBeginning").action(net.sourceforge.argparse4j.impl.Arguments.storeTrue())
                .help("start at the oldest record instead of the newest");
        p.addArgument("--max-records").dest("max").type(Long.class).setDefault(Long.MAX_VALUE).help("stop after this many records");
        p.addArgument("--timeout-ms").dest("timeout").type(Long.class).setDefault(Long.MAX_VALUE)
                .help("stop when no record arrived for this long");
        p.addArgument("--dedupe").dest("dedupe").action(net.sourceforge.argparse4j.impl.Arguments.storeTrue())
                .help("print each record once: skip a record whose (machineId, runId, sequence) was seen among the last "
                        + "--dedupe-window records (delivery is at-least-once)");
        p.addArgument("--dedupe-window").dest("dedupeWindow").type(Integer.class).setDefault(100_000)
                .help("how many recent dedup keys --dedupe remembers (default 100000)");
        p.addArgument("--consumer-property").dest("props").nargs("*").setDefault(List.of())
                .help("extra consumer properties as key=value (security settings)");
        p.addArgument("--consumer-config").dest("consumerConfig")
                .help("a properties file of consumer and registry settings (security.protocol, sasl.jaas.config, ssl.*, "
                        + "basic.auth.user.info, schema.registry.ssl.*): secrets stay out of the command line");
    }

    @Override
    public void run(Bootstrap<?> bootstrap, Namespace ns) throws Exception {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ns.getString("bootstrap"));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "mqtap-tail-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, ns.getBoolean("fromBeginning") ? "earliest" : "latest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        if (ns.getString("consumerConfig") != null) {
            java.util.Properties file = new java.util.Properties();
            try (var in = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of(ns.getString("consumerConfig")), StandardCharsets.UTF_8)) {
                file.load(in);
            }
            file.forEach((k, v) -> props.put(k.toString(), v));
        }
        for (Object kv : ns.getList("props")) {
            String s = kv.toString();
            int eq = s.indexOf('=');
            if (eq < 1) throw new IllegalArgumentException("--consumer-property takes key=value, not '" + s + "'");
            props.put(s.substring(0, eq), s.substring(eq + 1));
        }
        Map<String, Object> serde = new HashMap<>(props);
        serde.put(RegistryConfig.URL, ns.getString("registry"));
        try (AvroDeserializer<IndexedRecord> values = new AvroDeserializer<>()) {
            values.configure(serde, false);
            Dedup dedup = ns.getBoolean("dedupe") ? new Dedup(ns.getInt("dedupeWindow")) : null;
            tail(props, values, ns.getString("topic"), ns.getLong("max"), ns.getLong("timeout"), out, dedup);
            if (dedup != null) System.err.printf("mqtap tail: %d duplicate record(s) skipped (same machineId, runId, sequence)%n", dedup.duplicates());
        }
    }

    /**
     * Reads until max records or the idle timeout; an undecodable record (corrupt, past the deserializer's limits,
     * too big for this heap) is reported on stderr and skipped, and the count of those is the last stderr line.
     */
    static long tail(Map<String, Object> props, AvroDeserializer<IndexedRecord> values, String topic, long max,
                     long idleTimeoutMs, PrintStream out) {
        return tail(props, values, topic, max, idleTimeoutMs, out, null);
    }

    /** As above; with a {@link Dedup}, a record whose dedup key was already printed is skipped (and not counted in max). */
    public static long tail(Map<String, Object> props, AvroDeserializer<IndexedRecord> values, String topic, long max,
                            long idleTimeoutMs, PrintStream out, Dedup dedup) {
        long n = 0;
        long skipped = 0;
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(java.util.Arrays.stream(topic.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList());
            long idleSince = System.currentTimeMillis();
            while (n < max && System.currentTimeMillis() - idleSince < idleTimeoutMs) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    idleSince = System.currentTimeMillis();
                    try {
                        IndexedRecord rec = values.deserialize(r.topic(), r.value());
                        if (dedup != null && !dedup.first(rec)) continue;
                        out.println(RecordJson.toJson(rec, true));
                    } catch (SerializationException e) {
                        skipped++;
                        System.err.printf("mqtap tail: %s offset %d of %s: %s%n", new TopicPartition(r.topic(), r.partition()),
                                r.offset(), r.topic(), e.getMessage());
                    }
                    if (++n >= max) break;
                }
                out.flush();
            }
        }
        out.flush();
        System.err.printf("mqtap tail: read %d record%s, skipped %d that could not be decoded%n", n, n == 1 ? "" : "s", skipped);
        return n;
    }
}
