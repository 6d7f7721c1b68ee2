package io.mqtap.producer.config;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.charset.StandardCharsets;

/**
 * A secret key (when set) of at least 32 bytes that does not look hand-made: at least 10 distinct bytes and at least
 * 3 bits of empirical entropy per byte. Random hex has about 4, base64 about 6; {@code passwordpassword...} has 2.8,
 * a repeated character 0. A heuristic against obvious keys, not a proof of randomness. The message never shows the key.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = StrongKey.Validator.class)
public @interface StrongKey {
    String message() default "is not a strong key";
    Class<?>[] groups() default {};
    Class<? extends Payload>[] payload() default {};

    final class Validator implements ConstraintValidator<StrongKey, String> {
        static final int MIN_BYTES = 32;
        static final int MIN_DISTINCT = 10;
        static final double MIN_BITS_PER_BYTE = 3.0;
        private static final String HINT = " (make one with: openssl rand -hex 32)";

        @Override
        public boolean isValid(String key, ConstraintValidatorContext ctx) {
            if (key == null || key.isEmpty()) return true;
            String problem = problem(key.getBytes(StandardCharsets.UTF_8));
            if (problem == null) return true;
            ctx.disableDefaultConstraintViolation();
            ctx.buildConstraintViolationWithTemplate(problem + HINT).addConstraintViolation();
            return false;
        }

        /** Why the key is weak, or null. */
        static String problem(byte[] key) {
            if (key.length < MIN_BYTES) return "must be at least " + MIN_BYTES + " bytes, was " + key.length;
            int[] counts = new int[256];
            for (byte b : key) counts[b & 0xff]++;
            int distinct = 0;
            double bits = 0;
            for (int c : counts) {
                if (c == 0) continue;
                distinct++;
                double p = (double) c / key.length;
                bits -= p * Math.log(p) / Math.log(2);
            }
            if (distinct < MIN_DISTINCT || bits < MIN_BITS_PER_BYTE) {
                return String.format("looks low in entropy (%d distinct bytes, %.1f bits per byte; at least %d and %.1f wanted)",
                        distinct, bits, MIN_DISTINCT, MIN_BITS_PER_BYTE);
            }
            return null;
        }
    }
}
