package io.mqtap.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.mqtap.config.ConfigSubstitutor;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code MqTapStreamsApp <config.properties|config.yml>}: runs the counts, alerts and completeness topology until
 * SIGTERM/SIGINT, then closes Kafka Streams within 30 s. A YAML file's nested keys join with dots
 * ({@code mqtap: {grace: PT30S}} is {@code mqtap.grace=PT30S}); values take {@code ${NAME}}, {@code ${NAME:-default}} and
 * {@code ${file:/path}} as the producer's config does ({@link ConfigSubstitutor}).
 */
public final class MqTapStreamsApp {
    private static final Logger LOG = LoggerFactory.getLogger(MqTapStreamsApp.class);

    private MqTapStreamsApp() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: MqTapStreamsApp <config.properties|config.yml>");
            System.exit(2);
        }
        Map<String, String> config;
        StreamsSettings settings;
        try {
            config = load(Path.of(args[0]));
            settings = new StreamsSettings(config);
        } catch (IOException | IllegalArgumentException | ConfigException e) {
            System.err.println(args[0] + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        KafkaStreams streams = create(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        QueueQueries queries = queries(streams, settings);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("stopping");
            if (queries != null) queries.close();
            streams.close(Duration.ofSeconds(30));
            stopped.countDown();
        }, "mqtap-streams-stop"));
        streams.setStateListener((now, before) -> {
            LOG.info("state {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
        streams.start();
        stopped.await();
        if (streams.state() == KafkaStreams.State.ERROR) {
            System.exit(1);
        }
    }

    /**
     * The queue table's HTTP server ({@code mqtap.queries.listen}), or null when it is off; this instance is the one
     * {@code application.server} names.
     */
    static QueueQueries queries(KafkaStreams streams, StreamsSettings settings) throws IOException {
        String listen = settings.queriesListen();
        if (listen == null) return null;
        String self = settings.streamsProperties().getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG);
        return QueueQueries.start(streams, listen, self == null || self.isBlank() ? null : HostInfo.buildFromEndpoint(self));
    }

    /** Builds and starts the application; the caller closes it. */
    public static KafkaStreams start(StreamsSettings settings) {
        KafkaStreams streams = create(settings);
        streams.start();
        return streams;
    }

    /** Builds the application without starting it (so listeners can be set first). */
    public static KafkaStreams create(StreamsSettings settings) {
        MqTapSerdes serdes = MqTapSerdes.fromSettings(settings.registryProperties());
        Topology topology = MqTapTopology.build(settings, serdes);
        Properties props = settings.streamsProperties();
        require(props, StreamsConfig.APPLICATION_ID_CONFIG);
        require(props, StreamsConfig.BOOTSTRAP_SERVERS_CONFIG);
        // a record that cannot be read (bad bytes, unknown schema id) is logged, sent to the dead-letter
        // topic if errors.dead.letter.queue.topic.name is set, and skipped: one bad record must not stop the app
        props.putIfAbsent(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                LogAndContinueExceptionHandler.class.getName());
        // partitions added to the record topics are read within seconds, not Kafka's 5 minutes: a host's first run after
        // the growth may go to a new partition, and its records must not wait past the windows' grace (docs/operations.md)
        props.putIfAbsent(StreamsConfig.METADATA_MAX_AGE_CONFIG, "10000");
        LOG.info("topology:\n{}", topology.describe());
        return new KafkaStreams(topology, props);
    }

    private static void require(Properties p, String key) {
        if (p.getProperty(key) == null || p.getProperty(key).isBlank()) {
            throw new IllegalArgumentException("the config needs " + key);
        }
    }

    /** A .properties or .yml/.yaml file as flat dotted keys, with ${NAME}, ${NAME:-default} and ${file:/path} substituted. */
    public static Map<String, String> load(Path file) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        String name = file.getFileName().toString();
        if (name.endsWith(".yml") || name.endsWith(".yaml")) {
            JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
            if (root != null) {
                flatten("", root, out);
            }
        } else {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
            p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        }
        ConfigSubstitutor substitutor = new ConfigSubstitutor();
        out.replaceAll((k, v) -> substitute(substitutor, k, v));
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else if (!node.isNull()) {
            out.put(prefix, node.isArray() ? joinArray(node) : node.asText());
        }
    }

    private static String joinArray(JsonNode array) {
        StringBuilder sb = new StringBuilder();
        array.forEach(n -> sb.append(sb.length() == 0 ? "" : ",").append(n.asText()));
        return sb.toString();
    }

    /** mqtap's one substitution (the producer's too): ${VAR}, ${VAR:-default}, ${file:/path}; an error names the key. */
    private static String substitute(ConfigSubstitutor substitutor, String key, String value) {
        try {
            return substitutor.replace(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }
}
