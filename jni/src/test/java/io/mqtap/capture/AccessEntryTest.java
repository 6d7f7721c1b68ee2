package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The aggregation entry's layout against the C header, and the merge of a window's entries into records. */
class AccessEntryTest {

    @Test
    void layoutMatchesTheCHeader() {
        int[] c = NativeProbe.accessLayout();
        assertThat(c).containsExactly(AccessEntry.SIZE, AccessEntry.PROCESS_START_NS, AccessEntry.QUEUE_INO, AccessEntry.PID,
                AccessEntry.TID, AccessEntry.ERR, AccessEntry.CALL, AccessEntry.CALLS, AccessEntry.BYTES, AccessEntry.MIN_SIZE,
                AccessEntry.MAX_SIZE, AccessEntry.FIRST_NS, AccessEntry.LAST_NS, AccessEntry.UNLINKED, AccessEntry.TIMEOUTS,
                RawEvent.MSG_LEN, RawEvent.MSG_PRIO, RawEvent.NOTIFY_KIND, RawEvent.NOTIFY_SIGNO, RawEvent.MQDES, RawEvent.NEW_FLAGS);
    }

    @Test
    void decodesAnEntry() {
        ByteBuffer b = ByteBuffer.allocate(AccessEntry.SIZE).order(ByteOrder.nativeOrder());
        b.putLong(AccessEntry.PROCESS_START_NS, 77L).putLong(AccessEntry.QUEUE_INO, 4242L).putInt(AccessEntry.PID, 0xFFFF_FFF0)
                .putInt(AccessEntry.TID, 12).putInt(AccessEntry.ERR, 11).put(AccessEntry.CALL, (byte) 1)
                .putLong(AccessEntry.CALLS, 5).putLong(AccessEntry.BYTES, 0).putLong(AccessEntry.MIN_SIZE, -1)
                .putLong(AccessEntry.MAX_SIZE, 0).putLong(AccessEntry.FIRST_NS, 100).putLong(AccessEntry.LAST_NS, 200)
                .putLong(AccessEntry.UNLINKED, 2).putLong(AccessEntry.TIMEOUTS, 3);
        AccessEntry e = AccessEntry.decode(b, 0);
        assertThat(e).isEqualTo(new AccessEntry(77, 4242, 0xFFFF_FFF0L, 12, 11, false, 5, 0, -1, 0, 100, 200, 2, 3));
    }

    @Test
    void mergesThreadsAndResultsIntoOneRecordPerProcessQueueAndCall() {
        List<AccessEntry> entries = List.of(
                new AccessEntry(7, 100, 1, 1, 0, true, 10, 640, 64, 64, 50, 90, 0, 0),
                new AccessEntry(7, 100, 1, 2, 0, true, 5, 50, 8, 12, 40, 95, 1, 5),
                new AccessEntry(7, 100, 1, 2, 11, true, 3, 0, -1, 0, 60, 70, 0, 0),
                new AccessEntry(7, 100, 1, 1, 11, true, 2, 0, -1, 0, 61, 71, 0, 0),
                new AccessEntry(7, 100, 1, 1, 0, false, 4, 256, 64, 64, 55, 99, 0, 0),
                new AccessEntry(7, 0, 1, 1, 9, true, 1, 0, -1, 0, 80, 80, 0, 0));
        List<AccessRecord> r = AccessMerge.merge(entries, Map.of());
        assertThat(r).hasSize(3);
        AccessRecord send = r.get(0);
        assertThat(send.send()).isTrue();
        assertThat(send.calls()).isEqualTo(20);
        assertThat(send.errors()).isEqualTo(Map.of(11, 5L));
        assertThat(send.successes()).isEqualTo(15);
        assertThat(send.bytes()).isEqualTo(690);
        assertThat(send.minSize()).isEqualTo(8);
        assertThat(send.maxSize()).isEqualTo(64);
        assertThat(send.firstNs()).isEqualTo(40);
        assertThat(send.lastNs()).isEqualTo(95);
        assertThat(send.unlinked()).isEqualTo(1);
        assertThat(send.timeouts()).isEqualTo(5);
        assertThat(send.threads()).isEqualTo(2);
        assertThat(r.get(1).send()).isFalse();
        AccessRecord bad = r.get(2);
        assertThat(bad.queueInode()).isZero();
        assertThat(bad.minSize()).isNull();
        assertThat(bad.maxSize()).isNull();
        assertThat(bad.errors()).isEqualTo(Map.of(9, 1L));
    }
}
