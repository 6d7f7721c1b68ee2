package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.mqtap.producer.core.NameHmac;
import jakarta.validation.constraints.Size;

/** The {@code privacy} section: what mqtap leaves out of or hides in the records it publishes. Off by default. */
public class PrivacyFactory {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PrivacyFactory.class);
    /**
     * When set, each queue name is published as {@code hmac-sha256:<hex>} (and nameRaw as the 32 HMAC bytes) keyed
     * with this text; take it from the environment or a file (${MQTAP_NAME_HMAC_KEY}, ${file:/etc/mqtap/name-hmac.key}).
     */
    @Size(min = 16, message = "must be at least 16 characters when set (e.g. the output of: openssl rand -hex 32)")
    @JsonProperty
    private String nameHmacKey;

    /** The name hasher, or null when names are published as they are. */
    public NameHmac nameHmac() {
        if (nameHmacKey == null || nameHmacKey.isEmpty()) return null;
        LOG.info("Queue names are published as their HMAC-SHA256 (privacy.nameHmacKey is set)");
        return NameHmac.ofText(nameHmacKey);
    }

    public String getNameHmacKey() { return nameHmacKey; }
    public void setNameHmacKey(String v) { nameHmacKey = v; }

    @Override
    public String toString() {
        return "PrivacyFactory{nameHmacKey=" + (nameHmacKey == null ? "unset" : "(hidden)") + "}";
    }
}
