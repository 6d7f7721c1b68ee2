package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.capture.ProbeCounters;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.streams.MqTapStreamsApp;
import io.mqtap.streams.StreamsSettings;
import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqQueue;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.MqLifeHelper;
import io.mqtap.testkit.mqgen.MqLifeHelper.LifeRun;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Streams app's queue table from records the producer made of what the kernel saw, not from records built by hand:
 * a scripted life (created by root, opened and written and read by a second user, its attributes changed, a
 * notification asked for, removed) captured by the real probe, published through the real broker and registry, and
 * turned by the real topology into the queue's row in the compacted queues topic and a cross-user write alert.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
class QueueTableFromCaptureTest {
    private static final long OTHER_UID = 4242;
    private static final int MESSAGES = 1000, SIZE = 64;

    @Test
    void aCapturedLifeBecomesTheQueuesRowAndItsAlert(@TempDir Path stateDir) throws Exception {
        Kernel.assumeBpf();
        KafkaBroker broker = KafkaBroker.shared();
        SchemaRegistryServer registry = SchemaRegistryServer.shared();
        String id = UUID.randomUUID().toString().substring(0, 8);
        String comm = "qt" + id, queue = "qt-" + id;
        // the producer's topics and the app's, this test's own
        Map<String, String> producerTopics = Map.of("kafka.topic", "qt-open-" + id, "kafka.statsTopic", "qt-stats-" + id,
                "kafka.unlinkTopic", "qt-unlink-" + id, "kafka.notifyTopic", "qt-notify-" + id,
                "kafka.setattrTopic", "qt-setattr-" + id, "kafka.accessTopic", "qt-access-" + id,
                "kafka.transferTopic", "qt-transfer-" + id);
        String queues = "qt-queues-" + id, alerts = "qt-alerts-" + id;
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(queues, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")),
                    new NewTopic(alerts, 1, (short) 1), new NewTopic("qt-counts-" + id, 1, (short) 1), new NewTopic("qt-counts-late-" + id, 1, (short) 1),
                    new NewTopic("qt-completeness-" + id, 1, (short) 1))).all().get();
        }

        // root creates the queue; a child as another user opens it twice and moves 1000 messages through it
        List<String> steps = List.of("comm=" + comm, "umask=0",
                "open q name=" + queue + " oflag=RDWR|CREAT|EXCL mode=0666 attr=10," + SIZE,
                "as " + OTHER_UID, "open w name=" + queue + " oflag=WRONLY", "open r name=" + queue + " oflag=RDONLY",
                "transfer w r count=" + MESSAGES + " size=" + SIZE, "end",
                "setattr q nonblock=1", "notify q kind=signal", "unlink name=" + queue);
        ProducerApp.Builder b = ProducerApp.of(broker.bootstrapServers(), registry.url())
                .editConfig(c -> c.replace("  attachMode: auto\n", "  attachMode: auto\n  filters:\n    includeComms: [" + comm + "]\n"));
        producerTopics.forEach(b::set);
        ProducerApp app = b.start();
        var pipeline = app.pipeline();
        LifeRun run;
        try {
            run = MqLifeHelper.run(Duration.ofSeconds(60), steps);
        } finally {
            app.close(); // the stop publishes the last access window
        }
        ProbeCounters k = pipeline.counters().kernel();
        assertThat(k.lostAtLeast()).as("nothing lost by the probe's own count, " + k).isZero();
        assertThat(pipeline.counters().published()).as("everything captured published").isEqualTo(pipeline.counters().captured());
        assertThat(run.count("send")).as("the helper's own count of sends").isEqualTo(MESSAGES);
        long creator = run.pid();
        String machineId = pipeline.host().machineId();

        Map<String, String> config = new HashMap<>();
        config.put("application.id", "mqtap-qt-" + id);
        config.put("bootstrap.servers", broker.bootstrapServers());
        config.put(RegistryConfig.URL, registry.url());
        config.put("state.dir", stateDir.toString());
        config.put("replication.factor", "1");
        config.put("commit.interval.ms", "200");
        config.put("mqtap.topic.events", producerTopics.get("kafka.topic"));
        config.put("mqtap.topic.stats", producerTopics.get("kafka.statsTopic"));
        config.put("mqtap.topic.unlinks", producerTopics.get("kafka.unlinkTopic"));
        config.put("mqtap.topic.notifies", producerTopics.get("kafka.notifyTopic"));
        config.put("mqtap.topic.setattrs", producerTopics.get("kafka.setattrTopic"));
        config.put("mqtap.topic.access", producerTopics.get("kafka.accessTopic"));
        config.put("mqtap.topic.transfers", producerTopics.get("kafka.transferTopic"));
        config.put("mqtap.topic.queues", queues);
        config.put("mqtap.topic.alerts", alerts);
        config.put("mqtap.topic.counts", "qt-counts-" + id);
        config.put("mqtap.topic.counts-late", "qt-counts-late-" + id);
        config.put("mqtap.topic.completeness", "qt-completeness-" + id);
        config.put("mqtap.repartition.partitions", "1");
        config.put("mqtap.grace", "PT0S");
        KafkaStreams streams = MqTapStreamsApp.start(new StreamsSettings(config));
        try {
            // the topics are read side by side, in no order between them (the unlink or the access windows published at
            // the producer's stop can reach the row before the other user's opens): wait for the row that has seen every
            // kind of call the life made, then check the newest row exactly, whatever came
            String name = "/" + queue;
            List<ConsumerRecord<String, MqQueue>> rows = Records.read(broker.bootstrapServers(), registry.url(), queues,
                    got -> got.stream().map(ConsumerRecord::value).anyMatch(v -> v != null && name.equals(String.valueOf(v.getKernelName()))
                            && v.getUnlinked() && v.getOpens() >= 3 && v.getSends() >= MESSAGES && v.getReceives() >= MESSAGES
                            && v.getAttributeChanges() >= 1 && v.getNotifyRegistrations() >= 1), Duration.ofSeconds(90));
            List<MqQueue> mine = new ArrayList<>();
            for (ConsumerRecord<String, MqQueue> r : rows)
                if (r.value() != null && name.equals(String.valueOf(r.value().getKernelName()))) mine.add(r.value());
            assertThat(mine).as("updates of the queue's row (streams " + streams.state() + ")").isNotEmpty();
            MqQueue row = mine.get(mine.size() - 1);
            assertThat(row.getMachineId()).isEqualTo(machineId);
            assertThat(row.getCreatedBy().getPid()).as("created by the helper").isEqualTo(creator);
            assertThat(row.getCreatedBy().getUid()).isEqualTo(0L);
            assertThat(row.getQueueMode()).as("0666 under umask 0").isEqualTo(0666);
            assertThat(row.getOpens()).as("the creator's open and the other user's two").isEqualTo(3);
            assertThat(row.getOpeners()).as("two processes").isEqualTo(2);
            assertThat(row.getOpenedBy()).extracting(a -> a.getUid()).containsExactlyInAnyOrder(0L, OTHER_UID);
            assertThat(row.getSends()).isEqualTo(MESSAGES);
            assertThat(row.getSendBytes()).isEqualTo((long) MESSAGES * SIZE);
            assertThat(row.getReceives()).isEqualTo(MESSAGES);
            assertThat(row.getReceiveBytes()).isEqualTo((long) MESSAGES * SIZE);
            assertThat(row.getSendFailures()).isZero();
            assertThat(row.getCallsAfterUnlink()).as("the kernel saw every send and receive before the unlink").isZero();
            assertThat(row.getLastSend().getUid()).isEqualTo(OTHER_UID);
            assertThat(row.getAttributeChanges()).isEqualTo(1);
            assertThat(row.getNonBlocking()).isTrue();
            assertThat(row.getNotifyRegistrations()).isEqualTo(1);
            assertThat(String.valueOf(row.getLastNotification())).isEqualTo("signal");
            assertThat(row.getUnlinked()).isTrue();
            assertThat(row.getUnlinkedBy().getPid()).isEqualTo(creator);
            List<ConsumerRecord<String, MqOpenAlert>> alerted = Records.read(broker.bootstrapServers(), registry.url(), alerts,
                    got -> got.stream().anyMatch(r -> r.value().getType().toString().equals("CROSS_USER_WRITE")), Duration.ofSeconds(30));
            assertThat(alerted).extracting(r -> r.value().getType().toString()).as("the other user's writes")
                    .contains("CROSS_USER_WRITE");
        } finally {
            streams.close(Duration.ofSeconds(30));
            streams.cleanUp();
        }
    }
}
