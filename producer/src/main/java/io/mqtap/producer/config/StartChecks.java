package io.mqtap.producer.config;

import io.mqtap.producer.MqTapConfiguration;
import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.Map;

/**
 * What the start would refuse, checked when the file is loaded, so {@code check} and {@code server} agree: the
 * probe options as {@link io.mqtap.capture.ProbeOptions} builds them, the sections' agreement with each other, and
 * the {@link InsecureSettings} not accepted in {@code security.acceptInsecure} (accepted ones are logged as WARN).
 * Runs after every field's own constraints held (see the group sequence on {@link MqTapConfiguration}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = StartChecks.Validator.class)
public @interface StartChecks {
    String message() default "would fail at start";
    Class<?>[] groups() default {};
    Class<? extends Payload>[] payload() default {};

    /** The group these checks run in, after the default one. */
    interface Group {}

    final class Validator implements ConstraintValidator<StartChecks, MqTapConfiguration> {
        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StartChecks.class);
        /** ProbeOptions' option names that differ from the capture section's keys. */
        private static final Map<String, String> KEYS = Map.ofEntries(
                Map.entry("drainIntervalMillis", "drainInterval"),
                Map.entry("includeUids", "filters.includeUids"),
                Map.entry("excludeUids", "filters.excludeUids"),
                Map.entry("includeUids/excludeUids", "filters.excludeUids"),
                Map.entry("includeComms", "filters.includeComms"),
                Map.entry("excludeComms", "filters.excludeComms"),
                Map.entry("includeComms/excludeComms", "filters.excludeComms"),
                Map.entry("includeCgroupIds", "filters.includeCgroupIds"),
                Map.entry("excludeCgroupIds", "filters.excludeCgroupIds"),
                Map.entry("includeCgroupIds/excludeCgroupIds", "filters.excludeCgroupIds"),
                Map.entry("namePrefix", "filters.namePrefix"));

        @Override
        public boolean isValid(MqTapConfiguration config, ConstraintValidatorContext ctx) {
            ctx.disableDefaultConstraintViolation();
            boolean ok = true;
            try {
                config.getCapture().toOptions();
            } catch (IllegalArgumentException e) {
                String msg = String.valueOf(e.getMessage());
                int colon = msg.indexOf(": ");
                String option = colon > 0 ? msg.substring(0, colon) : "";
                String key = "capture." + KEYS.getOrDefault(option, option);
                violation(ctx, key, colon > 0 ? msg.substring(colon + 2) : msg);
                ok = false;
            }
            List<String> accepted = config.getSecurity().getAcceptInsecure();
            for (InsecureSettings.Finding f : InsecureSettings.find(config)) {
                if (accepted.contains(f.key())) {
                    LOG.warn("INSECURE (accepted in security.acceptInsecure): {} {}", f.key(), f.reason());
                } else {
                    violation(ctx, f.key(), f.reason() + "; if this is deliberate, add \"" + f.key() + "\" to security.acceptInsecure");
                    ok = false;
                }
            }
            String cacheProblem = idCacheProblem(config);
            if (cacheProblem != null) {
                violation(ctx, "schemaRegistry.idCacheFile", cacheProblem);
                ok = false;
            }
            int batch = config.getCapture().getBatchEvents();
            int handoff = config.getPipeline().getHandoffCapacity();
            if (handoff < batch) {
                violation(ctx, "pipeline.handoffCapacity",
                        "must be at least capture.batchEvents (" + batch + "), was " + handoff);
                ok = false;
            }
            return ok;
        }

        /** Why the id cache's file could not be written (a directory, or under a directory this user cannot write), or null. */
        static String idCacheProblem(MqTapConfiguration config) {
            java.nio.file.Path file;
            try {
                file = config.getSchemaRegistry().idCachePath(config.getSpool().getDir());
            } catch (java.nio.file.InvalidPathException e) {
                return "is not a usable path: " + e.getMessage();
            }
            if (file == null || config.getSchemaRegistry().getIdCacheFile().isBlank()) return null; // off, or in spool.dir (checked as the spool)
            if (java.nio.file.Files.isDirectory(file)) return file + " is a directory: name a file (e.g. " + file.resolve("schema-ids.json") + ")";
            // the nearest existing ancestor must be writable: the directories below it are created at start
            java.nio.file.Path dir = file.toAbsolutePath().getParent();
            while (dir != null && !java.nio.file.Files.exists(dir)) dir = dir.getParent();
            if (dir == null || !java.nio.file.Files.isDirectory(dir) || !java.nio.file.Files.isWritable(dir)) {
                return "cannot be written by this process (user " + System.getProperty("user.name") + "): " + dir
                        + " is not a writable directory; give it to the service's user, or leave idCacheFile empty (it is then kept in spool.dir)";
            }
            return null;
        }

        private static void violation(ConstraintValidatorContext ctx, String path, String reason) {
            var builder = ctx.buildConstraintViolationWithTemplate(escape(reason));
            String[] nodes = path.split("\\.");
            var node = builder.addPropertyNode(nodes[0]);
            for (int i = 1; i < nodes.length; i++) node = node.addPropertyNode(nodes[i]);
            node.addConstraintViolation();
        }

        /** The text is not a message template: no {...} or ${...} evaluation. */
        private static String escape(String s) {
            return s.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("$", "\\$");
        }
    }
}
