package io.mqtap.streams;

import io.mqtap.avro.MqAccess;
import io.mqtap.avro.MqNotify;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.avro.MqSetAttr;
import io.mqtap.avro.MqTransfer;
import io.mqtap.avro.MqUnlink;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenCompleteness;
import io.mqtap.streams.avro.MqOpenCounts;
import io.mqtap.streams.avro.MqQueue;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The topology in a {@link TopologyTestDriver}, with the real Avro serdes against the real registry (one
 * Apicurio per test JVM): serialization, schema registration and the wire format are part of what is tested.
 */
final class TopologyFixture implements AutoCloseable {
    final TopologyTestDriver driver;
    final TestInputTopic<String, MqOpen> events;
    final TestInputTopic<String, MqOpenStats> stats;
    final TestOutputTopic<String, MqOpenCounts> counts;
    final TestOutputTopic<String, MqOpenCounts> lateCounts;
    final TestOutputTopic<String, MqOpenAlert> alerts;
    final TestOutputTopic<String, MqOpenCompleteness> completeness;
    final TestInputTopic<String, MqUnlink> unlinks;
    final TestInputTopic<String, MqNotify> notifies;
    final TestInputTopic<String, MqSetAttr> setattrs;
    final TestInputTopic<String, MqAccess> access;
    final TestInputTopic<String, MqTransfer> transfers;
    final TestOutputTopic<String, MqQueue> queues;
    // one registry client for the JVM: its cache keeps each subject's registration to one call per run
    private static MqTapSerdes shared;

    private static synchronized MqTapSerdes serdes(Map<String, String> registryProps) {
        if (shared == null) {
            shared = MqTapSerdes.fromSettings(registryProps);
        }
        return shared;
    }

    /** {@code stateDir}: the test's {@code @TempDir}, which JUnit removes. */
    TopologyFixture(Path stateDir, Map<String, String> overrides) throws IOException {
        String registry = SchemaRegistryServer.shared().url();
        Map<String, String> config = new HashMap<>();
        config.put(RegistryConfig.URL, registry);
        config.put("application.id", "mqtap-streams-test");
        config.put("bootstrap.servers", "127.0.0.1:9"); // never connected to: the driver has no broker
        config.put("mqtap.grace", "PT10S");
        config.put("mqtap.completeness.gap-grace", "PT0S"); // gaps at once, unless a test says otherwise
        config.putAll(overrides);
        StreamsSettings settings = new StreamsSettings(config);
        MqTapSerdes serdes = serdes(settings.registryProperties());
        Properties props = settings.streamsProperties();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(MqTapTopology.build(settings, serdes), props);
        var keys = Serdes.String();
        events = driver.createInputTopic(settings.eventsTopic(), keys.serializer(), serdes.mqOpen().serializer());
        stats = driver.createInputTopic(settings.statsTopic(), keys.serializer(), serdes.stats().serializer());
        counts = driver.createOutputTopic(settings.countsTopic(), keys.deserializer(), serdes.counts().deserializer());
        lateCounts = driver.createOutputTopic(settings.countsLateTopic(), keys.deserializer(), serdes.counts().deserializer());
        alerts = driver.createOutputTopic(settings.alertsTopic(), keys.deserializer(), serdes.alert().deserializer());
        completeness = driver.createOutputTopic(settings.completenessTopic(), keys.deserializer(),
                serdes.completeness().deserializer());
        unlinks = driver.createInputTopic(settings.unlinksTopic(), keys.serializer(), serdes.unlink().serializer());
        notifies = driver.createInputTopic(settings.notifiesTopic(), keys.serializer(), serdes.mqNotify().serializer());
        setattrs = driver.createInputTopic(settings.setattrsTopic(), keys.serializer(), serdes.setAttr().serializer());
        access = driver.createInputTopic(settings.accessTopic(), keys.serializer(), serdes.access().serializer());
        transfers = driver.createInputTopic(settings.transfersTopic(), keys.serializer(), serdes.transfer().serializer());
        queues = driver.createOutputTopic(settings.queuesTopic(), keys.deserializer(), serdes.queue().deserializer());
    }

    void pipe(MqOpen e) {
        events.pipeInput(e.getMachineId(), e);
    }

    @Override
    public void close() throws IOException {
        driver.close();
    }
}
