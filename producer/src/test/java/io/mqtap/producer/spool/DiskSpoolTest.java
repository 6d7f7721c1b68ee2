package io.mqtap.producer.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk spool on a real filesystem: order, acknowledgement, recovery after a crash, damage, and a full spool. */
class DiskSpoolTest {
    private static final String SCHEMA = "{\"type\":\"record\",\"name\":\"T\",\"fields\":[]}";
    private static final byte[] KEY = "machine-1".getBytes(StandardCharsets.UTF_8);

    @TempDir Path dir;

    private DiskSpool.Options options(long maxBytes, long segmentBytes, FullPolicy full) {
        return new DiskSpool.Options(dir, maxBytes, segmentBytes, FsyncPolicy.BATCH, 1000, full);
    }

    private static List<SpoolRecord> batch(long fromSeq, int n) {
        List<SpoolRecord> b = new ArrayList<>();
        for (long s = fromSeq; s < fromSeq + n; s++) {
            b.add(new SpoolRecord(s, 1_700_000_000_000_000L + s, KEY, ("value-" + s).getBytes(StandardCharsets.UTF_8)));
        }
        return b;
    }

    private static List<SpoolEntry> readAll(DiskSpool spool) throws Exception {
        List<SpoolEntry> all = new ArrayList<>();
        for (List<SpoolEntry> got; !(got = spool.read(1000, 50)).isEmpty(); ) all.addAll(got);
        return all;
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
        }
    }

    @Test
    void recordsComeBackInOrderAndAcknowledgedSegmentsAreDeleted() throws Exception {
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 2048, FullPolicy.BLOCK), "run-a", SCHEMA)) {
            for (int i = 0; i < 10; i++) assertThat(spool.append(batch(i * 20L, 20), () -> false)).isEqualTo(20);
            assertThat(segments().size()).as("2 KiB segments roll").isGreaterThan(3);
            List<SpoolEntry> all = readAll(spool);
            assertThat(all).hasSize(200);
            for (int i = 0; i < 200; i++) {
                SpoolEntry e = all.get(i);
                assertThat(e.index()).isEqualTo(i);
                assertThat(e.sequence()).isEqualTo(i);
                assertThat(e.timestampMicros()).isEqualTo(1_700_000_000_000_000L + i);
                assertThat(e.key()).isEqualTo(KEY);
                assertThat(new String(e.value(), StandardCharsets.UTF_8)).isEqualTo("value-" + i);
                assertThat(e.runId()).isEqualTo("run-a");
                assertThat(e.writerSchema()).isEqualTo(SCHEMA);
            }
            assertThat(spool.records()).isEqualTo(200);
            long bytesBefore = spool.bytes();
            for (SpoolEntry e : all) spool.ack(e.index());
            spool.checkpoint();
            assertThat(spool.records()).isZero();
            assertThat(segments()).as("only the segment being written is kept").hasSize(1);
            assertThat(spool.bytes()).isLessThan(bytesBefore).isEqualTo(Files.size(segments().get(0)));
        }
    }

    @Test
    void eachRecordKeepsItsTypeAcrossARestart() throws Exception {
        String union = "[{\"type\":\"record\",\"name\":\"A\",\"fields\":[]},{\"type\":\"record\",\"name\":\"B\",\"fields\":[]}]";
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 4096, FullPolicy.BLOCK), "run-a", union)) {
            List<SpoolRecord> b = new ArrayList<>();
            for (int s = 0; s < 10; s++) b.add(new SpoolRecord(s % 2, s, s, KEY, new byte[] {(byte) s}));
            spool.append(b, () -> false);
        }
        // reopened, as after a crash: the type (the writer schema's branch) comes back with every record
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 4096, FullPolicy.BLOCK), "run-b", union)) {
            List<SpoolEntry> all = readAll(spool);
            assertThat(all).hasSize(10);
            for (SpoolEntry e : all) {
                assertThat(e.branch()).as("record " + e.sequence()).isEqualTo((int) (e.sequence() % 2));
                assertThat(e.writerSchema()).isEqualTo(union);
            }
        }
        assertThatThrownBy(() -> new SpoolRecord(Segment.MAX_BRANCH + 1, 0, 0, KEY, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRestartSendsWhatWasNotAcknowledgedFirstAndSaysWhereThePreviousRunEnded() throws Exception {
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 4096, FullPolicy.BLOCK), "run-a", SCHEMA)) {
            spool.append(batch(0, 100), () -> false);
            List<SpoolEntry> sent = readAll(spool);
            for (int i = 0; i < 40; i++) spool.ack(sent.get(i).index());
            spool.checkpoint();
            // no close: as after SIGKILL, only what reached the files counts
        }
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 4096, FullPolicy.BLOCK), "run-b", SCHEMA)) {
            DiskSpool.Recovered r = spool.recovered();
            assertThat(r.pending()).isEqualTo(60);
            assertThat(r.lastRunId()).isEqualTo("run-a");
            assertThat(r.lastSequence()).isEqualTo(99);
            assertThat(r.lastTimestampMicros()).isEqualTo(1_700_000_000_000_000L + 99);
            assertThat(r.corruptRecords()).isZero();
            spool.append(batch(0, 5), () -> false);
            List<SpoolEntry> all = readAll(spool);
            assertThat(all).hasSize(65);
            assertThat(all.subList(0, 60)).allMatch(e -> e.runId().equals("run-a"));
            assertThat(all.get(0).sequence()).isEqualTo(40);
            assertThat(all.get(59).sequence()).isEqualTo(99);
            assertThat(all.subList(60, 65)).allMatch(e -> e.runId().equals("run-b"));
            assertThat(all.get(60).index()).as("indexes go on across runs").isEqualTo(100);
        }
    }

    @Test
    void aTornTailIsCutOffAndEverythingBeforeItKept() throws Exception {
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 1 << 20, FullPolicy.BLOCK), "run-a", SCHEMA)) {
            spool.append(batch(0, 50), () -> false);
        }
        Path seg = segments().get(0);
        long size = Files.size(seg);
        // half a record: a crash (or power loss) in the middle of a write
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.seek(size);
            f.writeInt(400);
            f.writeInt(12345);
            f.write(new byte[100]);
        }
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 1 << 20, FullPolicy.BLOCK), "run-b", SCHEMA)) {
            assertThat(spool.recovered().truncatedBytes()).isEqualTo(108);
            assertThat(spool.recovered().corruptRecords()).isZero();
            assertThat(Files.size(seg)).isEqualTo(size);
            assertThat(readAll(spool)).hasSize(50).extracting(SpoolEntry::sequence).startsWith(0L).endsWith(49L);
        }
    }

    @Test
    void aDamagedRecordLosesExactlyTheRestOfItsSegmentAndCountsIt() throws Exception {
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 1024, FullPolicy.BLOCK), "run-a", SCHEMA)) {
            for (int i = 0; i < 10; i++) spool.append(batch(i * 10L, 10), () -> false);
        }
        List<Path> segs = segments();
        assertThat(segs.size()).isGreaterThan(3);
        Path victim = segs.get(1);
        long first = Long.parseLong(victim.getFileName().toString().substring(0, 20));
        long next = Long.parseLong(segs.get(2).getFileName().toString().substring(0, 20));
        Segment header = Segment.open(victim);
        // flip a byte inside the third record's payload: records 0 and 1 of the segment stay good
        long at = header.headerBytes;
        try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
            for (int i = 0; i < 2; i++) {
                f.seek(at);
                at += 8 + f.readInt();
            }
            f.seek(at + 8 + 3);
            int b = f.read();
            f.seek(at + 8 + 3);
            f.write(b ^ 0xff);
        }
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 1024, FullPolicy.BLOCK), "run-b", SCHEMA)) {
            long lost = next - first - 2;
            assertThat(spool.recovered().corruptRecords()).isEqualTo(lost);
            List<SpoolEntry> all = readAll(spool);
            assertThat(all).hasSize((int) (100 - lost));
            assertThat(all.stream().map(SpoolEntry::sequence).distinct().count()).isEqualTo(100 - lost);
            for (SpoolEntry e : all) spool.ack(e.index());
            assertThat(spool.acknowledgedThrough()).as("the gap counts as gone").isEqualTo(100);
        }
    }

    @Test
    void dropNewestCountsEveryRecordThatDidNotFit() throws Exception {
        try (DiskSpool spool = DiskSpool.open(options(8 * 1024, 2048, FullPolicy.DROP_NEWEST), "run-a", SCHEMA)) {
            long appended = 0;
            long offered = 0;
            for (int i = 0; i < 50; i++) {
                appended += spool.append(batch(offered, 7), () -> false);
                offered += 7;
            }
            assertThat(spool.dropped()).isPositive().isEqualTo(offered - appended);
            assertThat(spool.bytes()).isLessThanOrEqualTo(8 * 1024);
            assertThat(spool.fullReason()).contains("spool.maxBytes 8192 reached");
            assertThat(readAll(spool)).hasSize((int) appended);
        }
    }

    @Test
    void blockWaitsUntilKafkaAcknowledgesOlderRecords() throws Exception {
        try (DiskSpool spool = DiskSpool.open(options(8 * 1024, 2048, FullPolicy.BLOCK), "run-a", SCHEMA)) {
            long offered = 0;
            while (appendWithin(spool, batch(offered, 7), 200) > 0) offered += 7;
            assertThat(spool.fullReason()).contains("spool.maxBytes");
            List<SpoolRecord> next = batch(offered, 7);
            CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return spool.append(next, () -> false);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(300);
            assertThat(blocked).isNotDone();
            for (SpoolEntry e : readAll(spool)) spool.ack(e.index());
            spool.checkpoint();
            assertThat(blocked.get(10, TimeUnit.SECONDS)).isEqualTo(7);
            assertThat(spool.dropped()).isZero();
        }
    }

    /** Appends, giving up after the wait; -1 when it had to give up (the spool is full). */
    private static int appendWithin(DiskSpool spool, List<SpoolRecord> b, long millis) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        int n = spool.append(b, () -> System.nanoTime() > until);
        return n == 0 ? -1 : n;
    }

    @Test
    void acknowledgementsOutOfOrderAndAResendCountOnce() throws Exception {
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 1 << 20, FullPolicy.BLOCK), "run-a", SCHEMA)) {
            spool.append(batch(0, 10), () -> false);
            List<SpoolEntry> first = readAll(spool);
            spool.ack(2);
            spool.ack(0);
            assertThat(spool.acknowledgedThrough()).isEqualTo(1);
            spool.ack(1);
            assertThat(spool.acknowledgedThrough()).isEqualTo(3);
            spool.ack(1);
            spool.rewind();
            List<SpoolEntry> again = readAll(spool);
            assertThat(again).extracting(SpoolEntry::index).containsExactly(3L, 4L, 5L, 6L, 7L, 8L, 9L);
            assertThat(first).hasSize(10);
        }
    }

    @Test
    void aSpoolDirectoryThatCannotBeCreatedIsNamedByItsKey() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        Path under = file.resolve("spool");
        assertThatThrownBy(() -> DiskSpool.open(new DiskSpool.Options(under, 1 << 20, 1 << 20, FsyncPolicy.BATCH, 1000,
                FullPolicy.BLOCK), "run-a", SCHEMA))
                .isInstanceOf(IOException.class).hasMessageStartingWith("spool.dir " + under + " cannot be created or written")
                .hasMessageContaining("set spool.dir to one it owns");
    }

    @Test
    void oneSpoolDirectoryServesOneProcessAtATime() throws Exception {
        try (DiskSpool spool = DiskSpool.open(options(1 << 20, 1 << 20, FullPolicy.BLOCK), "run-a", SCHEMA)) {
            assertThatThrownBy(() -> DiskSpool.open(options(1 << 20, 1 << 20, FullPolicy.BLOCK), "run-b", SCHEMA))
                    .isInstanceOf(IOException.class).hasMessageContaining("spool.dir " + dir + " is in use by another mqtap process");
            assertThat(spool.records()).isZero();
        }
    }
}
