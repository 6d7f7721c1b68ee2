package io.mqtap.connect;

/**
 * Puts {@code MqOpen} records on a topic, in the Confluent wire format, with their schemas in the registry.
 * The end-to-end test does not trust what a publisher says it sent: it reads the topic back as the truth,
 * so any publisher (the synthetic one here, or mqtap's producer service capturing real calls) can stand in.
 */
@FunctionalInterface
public interface MqOpenPublisher {
    /** Publishes and flushes; returns how many records were acknowledged. */
    int publish(String bootstrapServers, String registryUrl, String topic) throws Exception;
}
