package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.mqtap.producer.core.NameHmac;
import jakarta.validation.constraints.Pattern;

/** The {@code privacy} section: what mqtap leaves out of or hides in the records it publishes. Off by default. */
public class PrivacyFactory {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PrivacyFactory.class);
    /**
     * When set, each queue name is published as {@code hmac-sha256:<key id>:<hex>} (and nameRaw as the 32 HMAC bytes)
     * keyed with this text: at least 32 bytes of random text; take it from a file or the environment
     * (${file:/etc/mqtap/name-hmac.key}, ${MQTAP_NAME_HMAC_KEY}); {@code openssl rand -hex 32} makes one.
     */
    @StrongKey
    @JsonProperty
    private String nameHmacKey;

    /** The key id hashed names carry (so a rotation shows); unset: derived from the key (8 hex digits). */
    @Pattern(regexp = "[A-Za-z0-9._-]{1,32}", message = "must be 1 to 32 letters, digits, '.', '_' or '-'")
    @JsonProperty
    private String nameHmacKeyId;

    /** The name hasher, or null when names are published as they are. */
    public NameHmac nameHmac() {
        if (nameHmacKey == null || nameHmacKey.isEmpty()) return null;
        NameHmac hmac = NameHmac.ofText(nameHmacKey, nameHmacKeyId);
        LOG.info("Queue names are published as their HMAC-SHA256 under key id {} (privacy.nameHmacKey is set)", hmac.keyId());
        return hmac;
    }

    public String getNameHmacKey() { return nameHmacKey; }
    public void setNameHmacKey(String v) { nameHmacKey = v; }
    public String getNameHmacKeyId() { return nameHmacKeyId; }
    public void setNameHmacKeyId(String v) { nameHmacKeyId = v; }

    @Override
    public String toString() {
        return "PrivacyFactory{nameHmacKey=" + (nameHmacKey == null ? "unset" : "(hidden)") + ", nameHmacKeyId=" + nameHmacKeyId + "}";
    }
}
