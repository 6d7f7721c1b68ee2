package io.mqtap.producer.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Replaces queue names with a keyed hash (HMAC-SHA256 over the exact name bytes), for sites that treat
 * names as sensitive: equal names still give equal values, so records still join, but the name can't be
 * read back or guessed without the key. {@code toString} never shows the key.
 */
public final class NameHmac {
    /** The prefix of a hashed {@code name}, followed by 64 lowercase hex digits. */
    public static final String PREFIX = "hmac-sha256:";
    private static final String ALGORITHM = "HmacSHA256";
    private static final HexFormat HEX = HexFormat.of();

    private final SecretKeySpec key;
    // Mac is stateful; one per thread (in practice only the reader thread hashes)
    private final ThreadLocal<Mac> macs;

    public NameHmac(byte[] key) {
        if (key == null || key.length == 0) throw new IllegalArgumentException("the HMAC key is empty");
        this.key = new SecretKeySpec(key.clone(), ALGORITHM);
        this.macs = ThreadLocal.withInitial(this::newMac);
        newMac(); // fail now, not on the first event, if the JDK lacks the algorithm
    }

    /** The key is the UTF-8 bytes of the configured text, exactly as given. */
    public static NameHmac ofText(String key) {
        return new NameHmac(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The 32-byte HMAC-SHA256 of the name bytes. */
    public byte[] digest(byte[] name) {
        return macs.get().doFinal(name);
    }

    /** {@code hmac-sha256:<64 hex digits>} of a digest. */
    public static String label(byte[] digest) {
        return PREFIX + HEX.formatHex(digest);
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
        return "NameHmac{HMAC-SHA256, key hidden}";
    }
}
