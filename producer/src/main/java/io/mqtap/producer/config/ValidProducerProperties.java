package io.mqtap.producer.config;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * {@code kafka.properties} checked against the KafkaProducer's own definitions when the file is loaded (so
 * {@code check} catches {@code acks: maybe}, not the first start); the message names the key, never a password value.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = ValidProducerProperties.Validator.class)
public @interface ValidProducerProperties {
    String message() default "are not valid KafkaProducer properties";
    Class<?>[] groups() default {};
    Class<? extends Payload>[] payload() default {};

    final class Validator implements ConstraintValidator<ValidProducerProperties, Map<String, String>> {
        @Override
        public boolean isValid(Map<String, String> props, ConstraintValidatorContext ctx) {
            if (props == null) return true;
            ConfigDef def = ProducerConfig.configDef();
            Map<String, Object> all = new HashMap<>(props);
            // required keys mqtap sets itself
            all.putIfAbsent(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
            all.putIfAbsent(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "org.apache.kafka.common.serialization.StringSerializer");
            all.putIfAbsent(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, "org.apache.kafka.common.serialization.ByteArraySerializer");
            try {
                def.parse(all);
                return true;
            } catch (ConfigException e) {
                String msg = String.valueOf(e.getMessage());
                for (Map.Entry<String, String> p : props.entrySet()) {
                    ConfigDef.ConfigKey key = def.configKeys().get(p.getKey());
                    if (key != null && key.type == ConfigDef.Type.PASSWORD && p.getValue() != null && !p.getValue().isEmpty()) {
                        msg = msg.replace(p.getValue(), "[hidden]");
                    }
                }
                ctx.disableDefaultConstraintViolation();
                ctx.buildConstraintViolationWithTemplate("has a bad value: " + escape(msg)).addConstraintViolation();
                return false;
            }
        }

        /** Kafka's text is not a message template: no {...} or ${...} evaluation. */
        private static String escape(String s) {
            return s.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("$", "\\$");
        }
    }
}
