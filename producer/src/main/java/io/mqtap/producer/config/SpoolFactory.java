package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.DataSize;
import io.dropwizard.util.Duration;
import io.mqtap.producer.spool.DiskSpool;
import io.mqtap.producer.spool.FsyncPolicy;
import io.mqtap.producer.spool.FullPolicy;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;

/**
 * The {@code spool} section: the disk spool every record is written to before it is sent to Kafka (write-ahead), so
 * a broker outage of any length, a crash or a restart loses nothing that fits in it. See docs/delivery.md.
 */
public class SpoolFactory {
    /** One directory per mqtap process (it is locked while in use); the systemd unit's StateDirectory. */
    @NotEmpty
    @JsonProperty
    private String dir = "/var/lib/mqtap/spool";

    /** The most the segment files may hold; then whenFull applies. */
    @NotNull
    @JsonProperty
    private DataSize maxBytes = DataSize.gibibytes(1);

    /** A segment is deleted once Kafka acknowledged every record in it: smaller segments give space back sooner. */
    @NotNull
    @JsonProperty
    private DataSize segmentBytes = DataSize.mebibytes(64);

    /** batch (default) | interval | never: what a power failure may cost; a process crash costs nothing under any. */
    @NotNull
    @JsonProperty
    private FsyncPolicy fsync = FsyncPolicy.BATCH;

    /** With fsync: interval, how often. */
    @NotNull
    @JsonProperty
    private Duration fsyncInterval = Duration.seconds(1);

    /** block (default: back-pressure into the kernel buffer, which counts its losses) | dropNewest (count the drop). */
    @NotNull
    @JsonProperty
    private FullPolicy whenFull = FullPolicy.BLOCK;

    @AssertTrue(message = "must be at least 64 KiB, and spool.segmentBytes at least 4 KiB and at most spool.maxBytes")
    public boolean isMaxBytesValid() {
        return maxBytes == null || segmentBytes == null
                || maxBytes.toBytes() >= 64 * 1024 && segmentBytes.toBytes() >= 4096 && segmentBytes.toBytes() <= maxBytes.toBytes();
    }

    public DiskSpool.Options toOptions() {
        // a segment at most an eighth of the cap, so what acknowledged records still hold stays small
        long segment = Math.max(4096, Math.min(segmentBytes.toBytes(), maxBytes.toBytes() / 8));
        return new DiskSpool.Options(Path.of(dir), maxBytes.toBytes(), segment, fsync, fsyncInterval.toMilliseconds(), whenFull);
    }

    public String getDir() { return dir; }
    public void setDir(String v) { dir = v; }
    public DataSize getMaxBytes() { return maxBytes; }
    public void setMaxBytes(DataSize v) { maxBytes = v; }
    public DataSize getSegmentBytes() { return segmentBytes; }
    public void setSegmentBytes(DataSize v) { segmentBytes = v; }
    public FsyncPolicy getFsync() { return fsync; }
    public void setFsync(FsyncPolicy v) { fsync = v; }
    public Duration getFsyncInterval() { return fsyncInterval; }
    public void setFsyncInterval(Duration v) { fsyncInterval = v; }
    public FullPolicy getWhenFull() { return whenFull; }
    public void setWhenFull(FullPolicy v) { whenFull = v; }
}
