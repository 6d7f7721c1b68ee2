package io.mqtap.producer.capture;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * capture.pinPath: which position of the pinned ring each drained batch ended at, by the last sequence it was given,
 * in a small file beside the spool. Written through a shared mapping before the batch is handed on, so it survives a
 * SIGKILL (the page cache does): the next run finds where the killed run's last spooled record came from and starts
 * reading the ring just past it, so nothing it spooled is read, and numbered, twice. A ring of the last 4,096 batches;
 * older ones are committed long before.
 */
public final class RingPositions implements AutoCloseable {
    static final String FILE = "ring-positions";
    private static final long MAGIC = 0x4d51544150525031L; // "MQTAPRP1"
    private static final int RUN_ID_BYTES = 48;
    private static final int HEADER = 8 + 8 + RUN_ID_BYTES + 8;
    private static final int SLOTS = 4096;
    private static final int SIZE = HEADER + SLOTS * 16;

    private final FileChannel channel;
    private final MappedByteBuffer map;
    private long count;

    private RingPositions(FileChannel channel, MappedByteBuffer map) {
        this.channel = channel;
        this.map = map;
        map.order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Opens (or makes) the file in the spool directory. */
    public static RingPositions open(Path spoolDir) throws IOException {
        FileChannel ch = FileChannel.open(spoolDir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            return new RingPositions(ch, ch.map(FileChannel.MapMode.READ_WRITE, 0, SIZE));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Where the previous run's spooled records end in ring {@code ringId}: the position after the last batch whose
     * records were all numbered up to {@code lastSpooled} (its last record in the spool), or -1 when this file is of
     * another ring or run, or knows no such batch.
     */
    public long after(long ringId, String runId, long lastSpooled) {
        if (map.getLong(0) != MAGIC || map.getLong(8) != ringId || !Arrays.equals(runIdBytes(runId), runIdAt())) return -1;
        long n = map.getLong(16 + RUN_ID_BYTES);
        long best = -1, bestSeq = Long.MIN_VALUE;
        for (long i = Math.max(0, n - SLOTS); i < n; i++) {
            int at = HEADER + (int) (i % SLOTS) * 16;
            long seq = map.getLong(at), pos = map.getLong(at + 8);
            // the batch ending at the last spooled record; a batch past it was read but never spooled
            if (seq <= lastSpooled && seq >= bestSeq) {
                bestSeq = seq;
                best = pos;
            }
        }
        // records numbered after bestSeq up to lastSpooled came from no ring batch (MqAccess windows), or from a batch the
        // spool took only part of (its spooled part is then read again: at-least-once)
        return best;
    }

    /** Starts this run's entries (after the previous run's were used). */
    public void begin(long ringId, String runId) {
        map.putLong(16 + RUN_ID_BYTES, 0);
        map.putLong(0, MAGIC);
        map.putLong(8, ringId);
        map.put(16, runIdBytes(runId));
        count = 0;
    }

    /** The batch whose last record got {@code lastSequence} ended at ring position {@code position}. */
    public void record(long lastSequence, long position) {
        int at = HEADER + (int) (count % SLOTS) * 16;
        map.putLong(at, lastSequence);
        map.putLong(at + 8, position);
        map.putLong(16 + RUN_ID_BYTES, ++count); // the entry first, then the count that makes it visible
    }

    private byte[] runIdAt() {
        byte[] b = new byte[RUN_ID_BYTES];
        map.get(16, b);
        return b;
    }

    private static byte[] runIdBytes(String runId) {
        return Arrays.copyOf(runId.getBytes(StandardCharsets.US_ASCII), RUN_ID_BYTES);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
