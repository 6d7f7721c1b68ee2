package io.mqtap.producer.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/** What the hand-off does when Kafka can't keep up. */
public enum OverflowPolicy {
    /** Wait: the reader stops draining and the kernel buffer absorbs the excess (losses counted there). */
    BLOCK,
    /** Drop the batch that does not fit and count it (sequence numbers show the gap downstream). */
    DROP;

    @JsonCreator
    public static OverflowPolicy parse(String s) {
        for (OverflowPolicy p : values()) {
            if (p.name().equalsIgnoreCase(s.trim())) return p;
        }
        throw new IllegalArgumentException("must be block or drop, not '" + s + "'");
    }
}
