package io.mqtap.producer.spool;

import com.fasterxml.jackson.annotation.JsonCreator;

/** What the spool does with records that do not fit (spool.maxBytes reached, or its filesystem full). */
public enum FullPolicy {
    /** Wait for room (acknowledged segments deleted): the hand-off fills, then the kernel buffer, which counts its losses. */
    BLOCK,
    /** Drop the incoming batch and count it (mqtap.spool.dropped, the stats record's spoolDropped; a gap in sequence). */
    DROP_NEWEST;

    @JsonCreator
    public static FullPolicy parse(String s) {
        String t = s.trim();
        if (t.equalsIgnoreCase("block")) return BLOCK;
        if (t.equalsIgnoreCase("dropNewest") || t.equalsIgnoreCase("drop-newest") || t.equalsIgnoreCase("drop_newest")) return DROP_NEWEST;
        throw new IllegalArgumentException("must be block or dropNewest, not '" + s + "'");
    }

    @Override
    public String toString() {
        return this == BLOCK ? "block" : "dropNewest";
    }
}
