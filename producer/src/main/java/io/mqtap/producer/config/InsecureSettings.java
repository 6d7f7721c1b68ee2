package io.mqtap.producer.config;

import io.mqtap.producer.MqTapConfiguration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * Settings that would pass secrets in clear text or quietly weaken what mqtap promises (every record acknowledged by
 * every in-sync replica, exactly once per send), found in a loaded configuration. Each finding names the key as the
 * file spells it and why; the values themselves (secrets) are never shown.
 */
public final class InsecureSettings {
    /** One insecure setting: the key as written in the file, and why it is refused. */
    public record Finding(String key, String reason) {}

    private InsecureSettings() {}

    public static List<Finding> find(MqTapConfiguration config) {
        List<Finding> out = new ArrayList<>();
        registry(config.getSchemaRegistry(), out);
        kafka(config.getKafka().getProperties(), out);
        return out;
    }

    private static void registry(SchemaRegistryFactory r, List<Finding> out) {
        String url = r.getUrl() == null ? "" : r.getUrl();
        boolean plain = false;
        for (String u : url.split(",")) plain |= u.trim().toLowerCase(Locale.ROOT).startsWith("http://");
        if (!plain) return;
        String why = "sends the registry credentials in clear text over http://; use an https:// URL";
        if (notEmpty(r.getBasicAuthUserInfo())) out.add(new Finding("schemaRegistry.basicAuthUserInfo", why));
        for (String k : List.of("basic.auth.user.info", "schema.registry.basic.auth.user.info")) {
            if (notEmpty(r.getProperties().get(k))) out.add(new Finding("schemaRegistry.properties." + k, why));
        }
        for (String u : url.split(",")) {
            String s = u.trim();
            int at = s.indexOf('@'), scheme = s.indexOf("://");
            int slash = scheme < 0 ? -1 : s.indexOf('/', scheme + 3);
            if (scheme > 0 && at > scheme && (slash < 0 || at < slash)) out.add(new Finding("schemaRegistry.url", why));
        }
    }

    private static void kafka(Map<String, String> p, List<Finding> out) {
        String protocol = p.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT").trim().toUpperCase(Locale.ROOT);
        if (protocol.equals("SASL_PLAINTEXT")) {
            out.add(new Finding("kafka.properties." + CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
                    "SASL_PLAINTEXT authenticates over an unencrypted connection (and SASL/PLAIN sends the password in clear text); use SASL_SSL"));
        } else if (protocol.equals("PLAINTEXT") && notEmpty(p.get(SaslConfigs.SASL_JAAS_CONFIG))) {
            out.add(new Finding("kafka.properties." + SaslConfigs.SASL_JAAS_CONFIG,
                    "credentials are set but security.protocol is PLAINTEXT: they would be unused or, with a SASL listener, sent unencrypted; use SASL_SSL"));
        }
        String acks = p.get(ProducerConfig.ACKS_CONFIG);
        if (acks != null && !acks.trim().equalsIgnoreCase("all") && !acks.trim().equals("-1")) {
            out.add(new Finding("kafka.properties." + ProducerConfig.ACKS_CONFIG,
                    "acks other than all lets a record count as published before every in-sync replica has it (lost with one broker)"));
        }
        String idempotence = p.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
        if (idempotence != null && idempotence.trim().equalsIgnoreCase("false")) {
            out.add(new Finding("kafka.properties." + ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                    "without idempotence a retried send can duplicate or reorder records"));
        }
        String inFlight = p.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
        if (inFlight != null && parses(inFlight) && Long.parseLong(inFlight.trim()) > 5) {
            out.add(new Finding("kafka.properties." + ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                    "more than 5 in-flight requests per connection breaks the ordering idempotence keeps (records can be reordered)"));
        }
        String hostCheck = p.get(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG);
        if (hostCheck != null && hostCheck.trim().isEmpty()) {
            out.add(new Finding("kafka.properties." + SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG,
                    "an empty value turns off the broker's hostname verification: any certificate the trust store accepts passes for any broker"));
        }
    }

    private static boolean parses(String s) {
        try {
            Long.parseLong(s.trim());
            return true;
        } catch (NumberFormatException e) {
            return false; // ValidProducerProperties names a value that is not a number
        }
    }

    private static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }
}
