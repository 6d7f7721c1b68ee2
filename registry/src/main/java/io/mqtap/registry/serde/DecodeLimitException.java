package io.mqtap.registry.serde;

/** A record declares more than the deserializer's limits allow; reported to the consumer as a SerializationException. */
final class DecodeLimitException extends RuntimeException {
    DecodeLimitException(String message) {
        super(message, null, false, false);
    }
}
