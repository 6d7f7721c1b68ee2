package io.mqtap.producer.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.producer.config.KafkaFactory;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class ProducerSettingsTest {
    private static KafkaFactory kafka(Map<String, String> overrides) {
        KafkaFactory k = new KafkaFactory();
        k.setBootstrapServers("127.0.0.1:9092");
        k.setProperties(new java.util.LinkedHashMap<>(overrides));
        return k;
    }

    @Test
    void theClientNeverExpiresABatchTheSpoolStillHolds() {
        Map<String, Object> p = ProducerSettings.of(kafka(Map.of()), "mqtap-h1");
        // an expired batch the brokers had written comes back from the spool under a new sequence: a duplicate
        assertThat(p.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).isEqualTo(Integer.MAX_VALUE);
        assertThat(p.get(ProducerConfig.RETRIES_CONFIG)).isEqualTo(Integer.MAX_VALUE);
        assertThat(p.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG)).isEqualTo(true);
        assertThat(p.get(ProducerConfig.ACKS_CONFIG)).isEqualTo("all");
        assertThat(p.get(ProducerConfig.CLIENT_ID_CONFIG)).isEqualTo("mqtap-h1");
    }

    @Test
    void anOperatorsPropertyWins() {
        Map<String, Object> p = ProducerSettings.of(kafka(Map.of("delivery.timeout.ms", "300000")), "mqtap-h1");
        assertThat(p.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).isEqualTo("300000");
    }
}
