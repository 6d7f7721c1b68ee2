package io.mqtap.producer.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * One segment file of the spool, {@code <first index, 20 digits>.seg}: a header, then records.
 *
 * <pre>
 * header:  "MQTSPL01" | u32 header length | u64 first index | u64 created (epoch ms)
 *          | u16 n + run id (UTF-8) | u32 n + writer schema (JSON, UTF-8) | u32 CRC32C of everything before it
 * record:  u32 payload length | u32 CRC32C of the payload | payload
 * payload: u8 type (1 + the record's branch of the writer schema: a union of the record types, or one record
 *          whose only branch is 0) | u64 sequence | u64 timestamp (epoch micros) | u16 n + key | value (the rest)
 * </pre>
 * All numbers big-endian. A record is valid when its length is sane and its CRC matches; the first invalid one ends
 * what can be read of the segment.
 */
final class Segment {
    static final byte[] MAGIC = "MQTSPL01".getBytes(StandardCharsets.US_ASCII);
    static final byte DATA = 1;
    /** The most record types a writer schema's union may have (types 1..64); anything above is corruption. */
    static final int MAX_BRANCH = 63;
    static final int RECORD_OVERHEAD = 4 + 4;
    static final int DATA_FIXED = 1 + 8 + 8 + 2;
    /** Far above any real record; a length beyond it is corruption, not a record. */
    static final int MAX_PAYLOAD = 16 << 20;

    final Path path;
    final long first;
    final String runId;
    final String schema;
    final int headerBytes;
    /** Valid records and bytes (header included); written by the appender, read by anyone. */
    volatile long count;
    volatile long bytes;

    private Segment(Path path, long first, String runId, String schema, int headerBytes) {
        this.path = path;
        this.first = first;
        this.runId = runId;
        this.schema = schema;
        this.headerBytes = headerBytes;
        this.bytes = headerBytes;
    }

    static Path fileName(Path dir, long first) {
        return dir.resolve(String.format("%020d.seg", first));
    }

    /** The first index a segment file's name gives, or -1 when the name is not a segment's. */
    static long firstOf(Path file) {
        String n = file.getFileName().toString();
        if (!n.matches("\\d{20}\\.seg")) return -1;
        return Long.parseLong(n.substring(0, 20));
    }

    /** Creates the file with its header; the caller forces it (and the directory) as its fsync policy says. */
    static Segment create(Path dir, long first, String runId, String schema, FileChannel[] channelOut) throws IOException {
        byte[] run = runId.getBytes(StandardCharsets.UTF_8);
        byte[] sch = schema.getBytes(StandardCharsets.UTF_8);
        int len = MAGIC.length + 4 + 8 + 8 + 2 + run.length + 4 + sch.length + 4;
        ByteBuffer h = ByteBuffer.allocate(len);
        h.put(MAGIC).putInt(len).putLong(first).putLong(System.currentTimeMillis());
        h.putShort((short) run.length).put(run).putInt(sch.length).put(sch);
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, h.position());
        h.putInt((int) crc.getValue());
        h.flip();
        Path p = fileName(dir, first);
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            while (h.hasRemaining()) ch.write(h);
        } catch (IOException e) {
            ch.close();
            java.nio.file.Files.deleteIfExists(p);
            throw e;
        }
        channelOut[0] = ch;
        return new Segment(p, first, runId, schema, len);
    }

    /** Reads a segment's header; IOException naming the file when it is not a valid one. */
    static Segment open(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer fixed = ByteBuffer.allocate(MAGIC.length + 4);
            readFully(ch, fixed, 0);
            fixed.flip();
            byte[] magic = new byte[MAGIC.length];
            fixed.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException(file + " is not a spool segment (bad magic)");
            int len = fixed.getInt();
            if (len < MAGIC.length + 30 || len > 1 << 20 || len > ch.size()) throw new IOException(file + ": torn or corrupt header");
            ByteBuffer h = ByteBuffer.allocate(len);
            readFully(ch, h, 0);
            CRC32C crc = new CRC32C();
            crc.update(h.array(), 0, len - 4);
            if ((int) crc.getValue() != h.getInt(len - 4)) throw new IOException(file + ": header checksum mismatch");
            h.position(MAGIC.length + 4);
            long first = h.getLong();
            h.getLong(); // created
            byte[] run = new byte[h.getShort() & 0xffff];
            h.get(run);
            byte[] sch = new byte[h.getInt()];
            h.get(sch);
            if (first != firstOf(file)) throw new IOException(file + ": header says first index " + first);
            return new Segment(file, first, new String(run, StandardCharsets.UTF_8), new String(sch, StandardCharsets.UTF_8), len);
        }
    }

    /** What a scan of the records found: how many valid, where they end, and the last one's sequence and time. */
    record Scan(long count, long validBytes, long fileBytes, long lastSequence, long lastTimestampMicros) {
        boolean torn() {
            return validBytes < fileBytes;
        }
    }

    /** Reads every record from the header on, checking each; stops at the first invalid one. */
    Scan scan() throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            long pos = headerBytes;
            long n = 0;
            long lastSeq = -1;
            long lastTs = 0;
            ByteBuffer head = ByteBuffer.allocate(RECORD_OVERHEAD);
            ByteBuffer payload = ByteBuffer.allocate(64 * 1024);
            CRC32C crc = new CRC32C();
            while (pos + RECORD_OVERHEAD <= size) {
                head.clear();
                readFully(ch, head, pos);
                int len = head.getInt(0);
                int sum = head.getInt(4);
                if (len < DATA_FIXED || len > MAX_PAYLOAD || pos + RECORD_OVERHEAD + len > size) break;
                if (payload.capacity() < len) payload = ByteBuffer.allocate(len);
                payload.clear().limit(len);
                readFully(ch, payload, pos + RECORD_OVERHEAD);
                crc.reset();
                crc.update(payload.array(), 0, len);
                int type = payload.get(0);
                if ((int) crc.getValue() != sum || type < DATA || type > DATA + MAX_BRANCH) break;
                lastSeq = payload.getLong(1);
                lastTs = payload.getLong(9);
                n++;
                pos += RECORD_OVERHEAD + len;
            }
            return new Scan(n, pos, size, lastSeq, lastTs);
        }
    }

    /** Encodes one record into the buffer (which must have room: see {@link #encodedSize}). */
    static void encode(SpoolRecord r, ByteBuffer out, CRC32C crc) {
        int len = DATA_FIXED + r.key().length + r.value().length;
        int start = out.position();
        out.putInt(len).putInt(0);
        int payloadAt = out.position();
        out.put((byte) (DATA + r.branch())).putLong(r.sequence()).putLong(r.timestampMicros()).putShort((short) r.key().length).put(r.key()).put(r.value());
        crc.reset();
        ByteBuffer p = out.duplicate();
        p.position(payloadAt).limit(payloadAt + len);
        crc.update(p);
        out.putInt(start + 4, (int) crc.getValue());
    }

    static int encodedSize(SpoolRecord r) {
        return RECORD_OVERHEAD + DATA_FIXED + r.key().length + r.value().length;
    }

    /** Decodes the data record whose payload starts at the buffer's position (length and CRC already checked). */
    SpoolEntry decode(long index, ByteBuffer payload, int len) {
        int at = payload.position();
        int branch = payload.get(at) - DATA;
        long seq = payload.getLong(at + 1);
        long ts = payload.getLong(at + 9);
        int keyLen = payload.getShort(at + 17) & 0xffff;
        byte[] key = new byte[keyLen];
        payload.get(at + DATA_FIXED, key);
        byte[] value = new byte[len - DATA_FIXED - keyLen];
        payload.get(at + DATA_FIXED + keyLen, value);
        return new SpoolEntry(index, branch, seq, ts, key, value, runId, schema);
    }

    static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long pos = at;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) throw new java.io.EOFException("unexpected end of spool segment at " + pos);
            pos += n;
        }
    }
}
