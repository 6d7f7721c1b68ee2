package io.mqtap.producer.spool;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/**
 * When the spool forces what it wrote to the disk. A process crash (SIGKILL, OOM) loses nothing under any policy:
 * the page cache outlives the process. They differ only when the machine itself goes down (power, kernel panic).
 */
public enum FsyncPolicy {
    /** After each appended batch, before its records are sent: a power failure loses no record Kafka has not got. */
    BATCH,
    /** Every {@code spool.fsyncInterval}: a power failure loses at most that much that Kafka had not acknowledged. */
    INTERVAL,
    /** Left to the kernel's writeback (about 30 s): a power failure loses up to that much not yet acknowledged. */
    NEVER;

    @JsonCreator
    public static FsyncPolicy parse(String s) {
        for (FsyncPolicy p : values()) {
            if (p.name().equalsIgnoreCase(s.trim())) return p;
        }
        throw new IllegalArgumentException("must be batch, interval or never, not '" + s + "'");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
