package io.mqtap.testkit.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("broker")
class KafkaBrokerTest {
    @Test
    void producesAndConsumesOnLoopbackAndSurvivesARestart() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start()) {
            assertThat(broker.bootstrapServers()).startsWith("127.0.0.1:");
            try (Admin admin = broker.admin()) {
                admin.createTopics(List.of(new NewTopic("t", 1, (short) 1))).all().get();
            }
            send(broker, "before");
            broker.restart();
            send(broker, "after");
            assertThat(readAll(broker)).containsExactly("before", "after");
        }
    }

    private static void send(KafkaBroker broker, String value) throws Exception {
        try (var p = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            p.send(new ProducerRecord<>("t", value)).get();
        }
    }

    private static List<String> readAll(KafkaBroker broker) {
        Map<String, Object> cfg = Map.of("bootstrap.servers", broker.bootstrapServers(), "group.id", "g",
                "auto.offset.reset", "earliest");
        try (var c = new KafkaConsumer<>(cfg, new StringDeserializer(), new StringDeserializer())) {
            c.subscribe(Set.of("t"));
            var out = new java.util.ArrayList<String>();
            await("both records").atMost(Duration.ofSeconds(30)).pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(() -> {
                        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
                        return out.size() >= 2;
                    });
            return out;
        }
    }
}
