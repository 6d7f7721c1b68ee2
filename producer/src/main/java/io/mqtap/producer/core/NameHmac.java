package io.mqtap.producer.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Replaces queue names with a keyed hash (HMAC-SHA256 over the exact name bytes), for sites that treat
 * names as sensitive: equal names still give equal values, so records still join, but the name can't be
 * read back or guessed without the key. Each hashed name carries the key's id ({@code hmac-sha256:<key id>:<hex>}),
 * so a consumer sees when the key was rotated and never joins hashes made under different keys. {@code toString}
 * never shows the key.
 */
public final class NameHmac {
    /** The prefix of a hashed {@code name}, followed by the key id, ':' and 64 lowercase hex digits. */
    public static final String PREFIX = "hmac-sha256:";
    /** What a derived key id is the HMAC of: a fixed text, so the id identifies the key without revealing it. */
    private static final byte[] KEY_ID_INPUT = "mqtap name hmac key id".getBytes(StandardCharsets.US_ASCII);
    private static final String ALGORITHM = "HmacSHA256";
    private static final HexFormat HEX = HexFormat.of();

    private final SecretKeySpec key;
    private final String keyId;
    // Mac is stateful; one per thread (in practice only the reader thread hashes)
    private final ThreadLocal<Mac> macs;

    /** Hashes under {@code key}; {@code keyId} null or empty derives the id from the key (8 hex digits). */
    public NameHmac(byte[] key, String keyId) {
        if (key == null || key.length == 0) throw new IllegalArgumentException("the HMAC key is empty");
        this.key = new SecretKeySpec(key.clone(), ALGORITHM);
        this.macs = ThreadLocal.withInitial(this::newMac);
        newMac(); // fail now, not on the first event, if the JDK lacks the algorithm
        this.keyId = keyId == null || keyId.isEmpty() ? HEX.formatHex(digest(KEY_ID_INPUT), 0, 4) : keyId;
    }

    public NameHmac(byte[] key) {
        this(key, null);
    }

    /** The key is the UTF-8 bytes of the configured text, exactly as given; its id is derived from it. */
    public static NameHmac ofText(String key) {
        return ofText(key, null);
    }

    public static NameHmac ofText(String key, String keyId) {
        return new NameHmac(key.getBytes(StandardCharsets.UTF_8), keyId);
    }

    /** The id every hashed name carries: the configured one, or 8 hex digits of the HMAC of a fixed text. */
    public String keyId() {
        return keyId;
    }

    /** The 32-byte HMAC-SHA256 of the name bytes. */
    public byte[] digest(byte[] name) {
        return macs.get().doFinal(name);
    }

    /** {@code hmac-sha256:<key id>:<64 hex digits>} of a digest. */
    public String label(byte[] digest) {
        return PREFIX + keyId + ":" + HEX.formatHex(digest);
    }

    private Mac newMac() {
        try {
            Mac m = Mac.getInstance(ALGORITHM);
            m.init(key);
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Failed to set up HMAC-SHA256: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "NameHmac{HMAC-SHA256, key id " + keyId + ", key hidden}";
    }
}
