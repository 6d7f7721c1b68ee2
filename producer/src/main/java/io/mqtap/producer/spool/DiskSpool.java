package io.mqtap.producer.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk spool between the hand-off and Kafka: an append-only log of checksummed records in segment files under
 * one directory, capped in bytes. One thread appends, one reads (the sender), and Kafka's callbacks acknowledge by
 * index from any thread; a segment is deleted only when every record in it is acknowledged. What is acknowledged is
 * checkpointed in the file {@code acked}, so after a crash the next run sends the rest, in spool order (a record whose
 * acknowledgement was not checkpointed yet is sent again: a duplicate under the same dedup key, never a loss).
 *
 * <p>Why our own small log rather than a library: Tape's {@code QueueFile} is one file that never shrinks below its
 * high-water mark, has no checksums and no acknowledgement out of order, and its 2.x line is still a beta; Chronicle
 * Queue rolls by time, not by bytes, has no "delete when acknowledged", and needs {@code --add-opens} flags on Java 17.
 * This log is ~500 lines on {@link FileChannel} and {@link CRC32C} from the JDK, with exactly the guarantees above.
 */
public final class DiskSpool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DiskSpool.class);
    private static final String CHECKPOINT = "acked";
    private static final int READ_CHUNK = 1 << 20;

    /** spool.* settings, checked by the config class. */
    public record Options(Path dir, long maxBytes, long segmentBytes, FsyncPolicy fsync, long fsyncIntervalMillis, FullPolicy whenFull) {}

    /** What open() found left by earlier runs. lastRunId is null when the spool was empty. */
    public record Recovered(long pending, long corruptRecords, long truncatedBytes, String lastRunId, long lastSequence,
                            long lastTimestampMicros) {}

    private final Options options;
    private final String runId;
    private final String writerSchema;
    private final FileChannel lockChannel;
    private final FileLock dirLock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    private final Condition data = lock.newCondition();
    private final List<Segment> segments = new ArrayList<>();
    private final Acks acks;
    private final AtomicLong totalBytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Recovered recovered;
    private final CRC32C crc = new CRC32C();
    private final CRC32C readCrc = new CRC32C();

    // appender's state
    private Segment active;
    private FileChannel activeChannel;
    private ByteBuffer encodeBuffer = ByteBuffer.allocate(256 * 1024);
    private volatile long nextIndex;
    /** Records below this are on disk as the fsync policy promises; the sender reads no further. */
    private volatile long readableIndex;
    private volatile boolean dirty;
    private volatile long lastForceNanos = System.nanoTime();
    private volatile String fullReason;
    private long lastCheckpointed = -1;

    // reader's state
    private long readIndex;
    private Segment readSegment;
    private FileChannel readChannel;
    private long readPos;
    private ByteBuffer readBuffer = ByteBuffer.allocate(READ_CHUNK);
    private volatile boolean closed;

    private DiskSpool(Options options, String runId, String writerSchema, FileChannel lockChannel, FileLock dirLock,
                      List<Segment> found, long ackedNext, Recovered recovered) {
        this.options = options;
        this.runId = runId;
        this.writerSchema = writerSchema;
        this.lockChannel = lockChannel;
        this.dirLock = dirLock;
        this.segments.addAll(found);
        this.recovered = recovered;
        long next = found.isEmpty() ? ackedNext : found.get(found.size() - 1).first + found.get(found.size() - 1).count;
        this.nextIndex = next;
        this.readableIndex = next;
        long firstKept = found.isEmpty() ? next : found.get(0).first;
        this.acks = new Acks(Math.min(next, Math.max(ackedNext, firstKept)));
        this.readIndex = acks.next();
        for (Segment s : found) totalBytes.addAndGet(s.bytes);
    }

    /**
     * Opens (creating it when missing) the spool directory, takes its lock (one mqtap per spool), checks every segment
     * and truncates a torn tail. Records of earlier runs not acknowledged yet are read first.
     */
    public static DiskSpool open(Options options, String runId, String writerSchema) throws IOException {
        Path dir = options.dir();
        FileChannel lockChannel;
        try {
            Files.createDirectories(dir);
            lockChannel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (java.nio.file.FileSystemException e) {
            // the key and what to do, not a bare AccessDeniedException: a wrong owner is the usual cause
            throw new IOException("spool.dir " + dir + " cannot be created or written by this process (user "
                    + System.getProperty("user.name") + "): " + e.getClass().getSimpleName() + " " + e.getMessage()
                    + "; give the directory to the service's user or set spool.dir to one it owns", e);
        }
        FileLock dirLock;
        try {
            dirLock = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            dirLock = null; // this JVM holds it already
        } catch (IOException e) {
            lockChannel.close();
            throw e;
        }
        if (dirLock == null) {
            lockChannel.close();
            throw new IOException("spool.dir " + dir + " is in use by another mqtap process (its .lock is held)");
        }
        try {
            long acked = readCheckpoint(dir);
            List<Segment> found = new ArrayList<>();
            long corrupt = 0;
            long truncated = 0;
            String lastRun = null;
            long lastSeq = -1;
            long lastTs = 0;
            List<Path> files;
            try (Stream<Path> s = Files.list(dir)) {
                files = s.filter(p -> Segment.firstOf(p) >= 0).sorted().toList();
            }
            for (int i = 0; i < files.size(); i++) {
                Path f = files.get(i);
                boolean last = i == files.size() - 1;
                long nextFirst = last ? -1 : Segment.firstOf(files.get(i + 1));
                Segment seg;
                try {
                    seg = Segment.open(f);
                } catch (IOException e) {
                    // a header that never got written completely (a crash while rolling), or damage
                    long lost = last ? 0 : nextFirst - Segment.firstOf(f);
                    LOG.error("Spool segment {} is unreadable ({}); {} record(s) in it are lost (counted in mqtap.spool.corrupt)",
                            f, e.getMessage(), lost);
                    corrupt += lost;
                    Files.delete(f);
                    continue;
                }
                Segment.Scan scan = seg.scan();
                if (scan.torn()) {
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                        ch.truncate(scan.validBytes());
                    }
                    truncated += scan.fileBytes() - scan.validBytes();
                    long lost = last ? 0 : Math.max(0, nextFirst - seg.first - scan.count());
                    corrupt += lost;
                    LOG.warn("Spool segment {}: {} byte(s) after its last valid record removed{}", f,
                            scan.fileBytes() - scan.validBytes(), lost > 0 ? "; " + lost + " record(s) lost (mqtap.spool.corrupt)" : "");
                }
                seg.count = scan.count();
                seg.bytes = scan.validBytes();
                if (scan.count() > 0) {
                    lastRun = seg.runId;
                    lastSeq = scan.lastSequence();
                    lastTs = scan.lastTimestampMicros();
                }
                found.add(seg);
            }
            long next = found.isEmpty() ? acked : found.get(found.size() - 1).first + found.get(found.size() - 1).count;
            long pending = Math.max(0, next - Math.max(acked, found.isEmpty() ? next : found.get(0).first));
            Recovered rec = new Recovered(pending, corrupt, truncated, lastRun, lastSeq, lastTs);
            DiskSpool spool = new DiskSpool(options, runId, writerSchema, lockChannel, dirLock, found, acked, rec);
            spool.deleteAcknowledgedSegments(true);
            if (pending > 0) LOG.info("Spool {}: {} record(s) of earlier runs not acknowledged by Kafka yet; they are sent first", dir, pending);
            return spool;
        } catch (IOException | RuntimeException e) {
            dirLock.release();
            lockChannel.close();
            throw e;
        }
    }

    public Recovered recovered() {
        return recovered;
    }

    // ---- appending (one thread) ----

    /**
     * Appends a batch in order. When it does not fit ({@code spool.maxBytes}, or the filesystem is full), the policy
     * applies: DROP_NEWEST drops the batch and counts it in {@link #dropped()}; BLOCK waits for room until
     * {@code giveUp} says stop. Returns how many records were appended (all, or none).
     */
    public int append(List<SpoolRecord> batch, BooleanSupplier giveUp) throws InterruptedException {
        if (batch.isEmpty()) return 0;
        int size = 0;
        for (SpoolRecord r : batch) size += Segment.encodedSize(r);
        if (encodeBuffer.capacity() < size) encodeBuffer = ByteBuffer.allocate(Math.max(size, encodeBuffer.capacity() * 2));
        encodeBuffer.clear();
        for (SpoolRecord r : batch) Segment.encode(r, encodeBuffer, crc);
        encodeBuffer.flip();
        while (true) {
            String why = tryAppend(size, batch.size());
            if (why == null) return batch.size();
            if (fullReason == null) LOG.warn("Spool full ({}): {}", why, options.whenFull() == FullPolicy.BLOCK
                    ? "waiting for Kafka to acknowledge older records (spool.whenFull: block)"
                    : "dropping new records and counting them in mqtap.spool.dropped (spool.whenFull: dropNewest)");
            fullReason = why;
            if (options.whenFull() == FullPolicy.DROP_NEWEST) {
                dropped.addAndGet(batch.size());
                return 0;
            }
            if (giveUp.getAsBoolean()) return 0;
            lock.lock();
            try {
                room.await(100, TimeUnit.MILLISECONDS);
            } finally {
                lock.unlock();
            }
        }
    }

    /** null when the encoded batch went in; else why not (full, or the disk refused it). */
    private String tryAppend(int size, int records) {
        if (totalBytes.get() + size > options.maxBytes()) {
            deleteAcknowledgedSegments(false);
            if (totalBytes.get() + size > options.maxBytes()) {
                return "spool.maxBytes " + options.maxBytes() + " reached, " + totalBytes.get() + " bytes held";
            }
        }
        long before = -1;
        try {
            if (activeChannel == null || active.bytes + size > options.segmentBytes() && active.count > 0) roll();
            before = active.bytes;
            encodeBuffer.rewind();
            long pos = before;
            while (encodeBuffer.hasRemaining()) pos += activeChannel.write(encodeBuffer, pos);
            // batch: on disk before the sender may read it; otherwise left to the interval or the kernel
            if (options.fsync() == FsyncPolicy.BATCH) {
                activeChannel.force(false);
                lastForceNanos = System.nanoTime();
            } else {
                dirty = true;
            }
        } catch (IOException e) {
            // e.g. ENOSPC: take back whatever part of the batch got written, so the log stays whole
            if (before >= 0) {
                try {
                    activeChannel.truncate(before);
                } catch (IOException ignored) {
                    // the next open's scan removes a torn tail anyway
                }
            }
            return "writing " + (active == null ? options.dir() : active.path) + " failed: " + e;
        }
        lock.lock();
        try {
            active.bytes = before + size;
            active.count += records;
            totalBytes.addAndGet(size);
            nextIndex += records;
            readableIndex = nextIndex;
            fullReason = null;
            data.signalAll();
        } finally {
            lock.unlock();
        }
        return null;
    }

    private void roll() throws IOException {
        if (activeChannel != null) {
            FileChannel old = activeChannel;
            // no channel until the new segment exists: a failed roll (ENOSPC) is retried by the next append
            activeChannel = null;
            try {
                if (options.fsync() != FsyncPolicy.NEVER) old.force(false);
            } finally {
                old.close();
            }
        }
        FileChannel[] ch = new FileChannel[1];
        Segment seg = Segment.create(options.dir(), nextIndex, runId, writerSchema, ch);
        activeChannel = ch[0];
        if (options.fsync() == FsyncPolicy.BATCH) forceDirectory();
        lock.lock();
        try {
            segments.add(seg);
            active = seg;
            totalBytes.addAndGet(seg.headerBytes);
        } finally {
            lock.unlock();
        }
    }

    private void forceDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(options.dir(), StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    // ---- reading (one thread: the sender) ----

    /** Up to max records from the read position on, waiting at most waitMillis for the first. */
    public List<SpoolEntry> read(int max, long waitMillis) throws IOException, InterruptedException {
        long limit;
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            while (readIndex >= readableIndex && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return List.of();
                data.awaitNanos(left);
            }
            if (closed) return List.of();
            if (readSegment == null || readIndex < readSegment.first || readIndex >= readSegment.first + readSegment.count) {
                seek(readIndex);
            }
            limit = Math.min(readableIndex, readIndex + max);
            if (limit <= readIndex) return List.of();
        } finally {
            lock.unlock();
        }
        List<SpoolEntry> out = new ArrayList<>((int) (limit - readIndex));
        long segEnd = Math.min(limit, readSegment.first + readSegment.count);
        long segBytes = readSegment.bytes;
        while (readIndex < segEnd) {
            readBuffer.clear();
            long want = Math.min(readBuffer.capacity(), segBytes - readPos);
            readBuffer.limit((int) want);
            Segment.readFully(readChannel, readBuffer, readPos);
            readBuffer.flip();
            int parsed = 0;
            while (readIndex < segEnd && readBuffer.remaining() >= Segment.RECORD_OVERHEAD) {
                int at = readBuffer.position();
                int len = readBuffer.getInt(at);
                if (len < Segment.DATA_FIXED || len > Segment.MAX_PAYLOAD) throw corrupt("length " + len);
                if (readBuffer.remaining() < Segment.RECORD_OVERHEAD + len) break;
                int sum = readBuffer.getInt(at + 4);
                ByteBuffer p = readBuffer.duplicate();
                p.position(at + Segment.RECORD_OVERHEAD).limit(at + Segment.RECORD_OVERHEAD + len);
                readCrc.reset();
                readCrc.update(p.duplicate());
                if ((int) readCrc.getValue() != sum) throw corrupt("checksum mismatch");
                out.add(readSegment.decode(readIndex, p, len));
                readBuffer.position(at + Segment.RECORD_OVERHEAD + len);
                readPos += Segment.RECORD_OVERHEAD + len;
                readIndex++;
                parsed++;
            }
            if (parsed == 0) {
                // a record bigger than the buffer: grow it and read again
                readBuffer = ByteBuffer.allocate(readBuffer.capacity() * 2);
            }
        }
        return out;
    }

    private IOException corrupt(String what) {
        return new IOException("spool segment " + readSegment.path + " is corrupt at byte " + readPos + " (" + what
                + "): it changed on disk after it was written");
    }

    /**
     * Positions the reader on an index; caller holds the lock. Records a damaged segment took with it (counted at
     * open) leave a gap between segments: the reader skips it, acknowledging those indexes as gone.
     */
    private void seek(long index) throws IOException {
        Segment target = null;
        for (Segment s : segments) {
            if (s.first + s.count > index) {
                target = s;
                break;
            }
        }
        if (target == null) throw new IllegalStateException("spool index " + index + " is in no segment");
        for (long i = index; i < target.first; i++) acks.ack(i);
        if (target.first > index) {
            readIndex = target.first;
            index = target.first;
        }
        if (readChannel != null) readChannel.close();
        readSegment = target;
        readChannel = FileChannel.open(target.path, StandardOpenOption.READ);
        readPos = target.headerBytes;
        ByteBuffer head = ByteBuffer.allocate(4);
        for (long i = target.first; i < index; i++) {
            head.clear();
            Segment.readFully(readChannel, head, readPos);
            readPos += Segment.RECORD_OVERHEAD + head.getInt(0);
        }
    }

    /** Reads again from the first record not acknowledged (after a failed send). Reader thread only. */
    public void rewind() {
        lock.lock();
        try {
            readIndex = acks.next();
            readSegment = null;
        } finally {
            lock.unlock();
        }
    }

    /** True when this index is acknowledged (in order or out of it). */
    public boolean isAcknowledged(long index) {
        return acks.acked(index);
    }

    /** Kafka acknowledged this record (or it was given up on and counted as failed). Any thread. */
    public void ack(long index) {
        acks.ack(index);
    }

    /**
     * Saves how far everything is acknowledged, deletes segments whose records all are, and forces the interval
     * fsync when it is due. The sender calls it a few times a second; the stop calls it last.
     */
    public void checkpoint() throws IOException {
        long next = acks.next();
        if (next != lastCheckpointed) {
            writeCheckpoint(options.dir(), next);
            lastCheckpointed = next;
        }
        deleteAcknowledgedSegments(false);
        if (options.fsync() == FsyncPolicy.INTERVAL && dirty
                && System.nanoTime() - lastForceNanos >= TimeUnit.MILLISECONDS.toNanos(options.fsyncIntervalMillis())) {
            FileChannel ch = activeChannel;
            if (ch != null && ch.isOpen()) {
                ch.force(false);
                dirty = false;
                lastForceNanos = System.nanoTime();
            }
        }
    }

    private void deleteAcknowledgedSegments(boolean all) {
        long next = acks.next();
        List<Segment> gone = new ArrayList<>();
        lock.lock();
        try {
            for (Segment s : segments) {
                if (s == active && !all) break;
                if (s.first + s.count > next) break;
                gone.add(s);
            }
            if (gone.isEmpty()) return;
            segments.removeAll(gone);
            for (Segment s : gone) totalBytes.addAndGet(-s.bytes);
            room.signalAll();
        } finally {
            lock.unlock();
        }
        for (Segment s : gone) {
            try {
                Files.deleteIfExists(s.path);
            } catch (IOException e) {
                LOG.warn("Could not delete the acknowledged spool segment {}: {}", s.path, e.toString());
            }
        }
    }

    private static long readCheckpoint(Path dir) {
        Path f = dir.resolve(CHECKPOINT);
        try {
            byte[] b = Files.readAllBytes(f);
            if (b.length != 12) return 0;
            ByteBuffer bb = ByteBuffer.wrap(b);
            long next = bb.getLong();
            CRC32C c = new CRC32C();
            c.update(b, 0, 8);
            return (int) c.getValue() == bb.getInt() ? next : 0;
        } catch (IOException e) {
            return 0; // none yet: nothing acknowledged
        }
    }

    private static void writeCheckpoint(Path dir, long next) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12).putLong(next);
        CRC32C c = new CRC32C();
        c.update(b.array(), 0, 8);
        b.putInt((int) c.getValue());
        Path tmp = dir.resolve(CHECKPOINT + ".tmp");
        Files.write(tmp, b.array());
        try {
            Files.move(tmp, dir.resolve(CHECKPOINT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(CHECKPOINT), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    // ---- what it holds ----

    /** Bytes in the segment files, headers included. */
    public long bytes() {
        return totalBytes.get();
    }

    /** Records appended and not acknowledged yet. */
    public long records() {
        return nextIndex - acks.next();
    }

    public long maxBytes() {
        return options.maxBytes();
    }

    /** Records dropped because the spool was full (spool.whenFull: dropNewest), since this run started. */
    public long dropped() {
        return dropped.get();
    }

    /** Why the last append did not fit, or null when it did. */
    public String fullReason() {
        return fullReason;
    }

    /** The index the next appended record gets. */
    public long nextIndex() {
        return nextIndex;
    }

    /** Everything below this index is acknowledged. */
    public long acknowledgedThrough() {
        return acks.next();
    }

    public Options options() {
        return options;
    }

    /** Forces what was appended, saves the checkpoint and releases the directory. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        lock.lock();
        try {
            closed = true;
            data.signalAll();
            room.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            if (activeChannel != null) {
                if (options.fsync() != FsyncPolicy.NEVER) activeChannel.force(false);
                activeChannel.close();
            }
            if (readChannel != null) readChannel.close();
            writeCheckpoint(options.dir(), acks.next());
        } finally {
            dirLock.release();
            lockChannel.close();
        }
    }
}
