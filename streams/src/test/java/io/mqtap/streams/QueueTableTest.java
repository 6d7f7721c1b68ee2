package io.mqtap.streams;

import static io.mqtap.streams.Events.HOST_A;
import static io.mqtap.streams.Events.T0;
import static io.mqtap.streams.LifeEvents.INO;
import static io.mqtap.streams.LifeEvents.IPC;
import static io.mqtap.streams.LifeEvents.OWNER;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenAlertType;
import io.mqtap.streams.avro.MqQueue;
import io.mqtap.streams.avro.QueueActor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue table and its three alerts over a scripted life, through the real topology, serdes and registry. */
class QueueTableTest {
    private static final String KEY = QueueTable.key(HOST_A, IPC, INO);
    private static final long CREATOR = 100, OTHER = 200, OTHER_UID = 2000;

    @TempDir Path state;

    /** create, open by two users, 1000 sends, 1000 receives, setattr, notify, unlink. */
    private static void life(TopologyFixture f, boolean unlinkNamesTheQueue) {
        f.pipe(LifeEvents.open(HOST_A, 0, T0, CREATOR, OWNER, "q", true));
        f.pipe(LifeEvents.open(HOST_A, 1, T0.plusSeconds(1), OTHER, OTHER_UID, "q", false));
        f.pipe(LifeEvents.open(HOST_A, 2, T0.plusSeconds(2), OTHER, OTHER_UID, "q", false)); // the same process again
        f.access.pipeInput(HOST_A, LifeEvents.access(HOST_A, 3, T0.plusSeconds(10), OTHER, OTHER_UID, "send", 600, 600 * 64,
                Map.of(), 0, "q"));
        f.access.pipeInput(HOST_A, LifeEvents.access(HOST_A, 4, T0.plusSeconds(10), CREATOR, OWNER, "receive", 610, 600 * 64,
                Map.of("EAGAIN", 10L), 0, "q"));
        f.access.pipeInput(HOST_A, LifeEvents.access(HOST_A, 5, T0.plusSeconds(20), OTHER, OTHER_UID, "send", 400, 400 * 64,
                Map.of(), 0, "q"));
        f.access.pipeInput(HOST_A, LifeEvents.access(HOST_A, 6, T0.plusSeconds(20), CREATOR, OWNER, "receive", 400, 400 * 64,
                Map.of(), 0, "q"));
        f.setattrs.pipeInput(HOST_A, LifeEvents.setattr(HOST_A, 7, T0.plusSeconds(21), CREATOR, OWNER, 04000L));
        f.setattrs.pipeInput(HOST_A, LifeEvents.setattr(HOST_A, 8, T0.plusSeconds(22), CREATOR, OWNER, null)); // getattr
        f.notifies.pipeInput(HOST_A, LifeEvents.notify(HOST_A, 9, T0.plusSeconds(23), OTHER, OTHER_UID, "signal"));
        f.unlinks.pipeInput(HOST_A, LifeEvents.unlink(HOST_A, 10, T0.plusSeconds(24), CREATOR, OWNER, "q", unlinkNamesTheQueue));
    }

    @Test
    void aScriptedLifeIsOneRow() throws Exception {
        try (TopologyFixture f = new TopologyFixture(state, Map.of())) {
            life(f, true);
            KeyValueStore<String, MqQueue> table = f.driver.getKeyValueStore(QueueTable.STORE);
            MqQueue q = table.get(KEY);
            checkRow(q);
            // every update went to mq-queues; the last one is the row
            var updates = f.queues.readKeyValuesToList();
            assertThat(updates).allSatisfy(kv -> assertThat(kv.key).isEqualTo(KEY));
            assertThat(updates.get(updates.size() - 1).value).isEqualTo(q);
        }
    }

    private static void checkRow(MqQueue q) {
        assertThat(q).isNotNull();
        assertThat(q.getMachineId()).isEqualTo(HOST_A);
        assertThat(q.getKernelName()).isEqualTo("/q");
        assertThat(q.getQueueUid()).isEqualTo(OWNER);
        assertThat(q.getCreatedBy().getPid()).isEqualTo(CREATOR);
        assertThat(q.getCreatedBy().getUid()).isEqualTo(OWNER);
        assertThat(q.getOpens()).isEqualTo(3);
        assertThat(q.getOpeners()).isEqualTo(2);
        assertThat(q.getOpenedBy()).extracting(QueueActor::getPid).containsExactly(CREATOR, OTHER);
        assertThat(q.getSends()).isEqualTo(1000);
        assertThat(q.getSendBytes()).isEqualTo(1000 * 64);
        assertThat(q.getSendFailures()).isZero();
        assertThat(q.getReceives()).isEqualTo(1010);
        assertThat(q.getReceiveFailures()).isEqualTo(10);
        assertThat(q.getReceiveBytes()).isEqualTo(1000 * 64);
        assertThat(q.getLastSend().getPid()).isEqualTo(OTHER);
        assertThat(q.getLastReceive().getPid()).isEqualTo(CREATOR);
        assertThat(q.getAttributeChanges()).isEqualTo(1);
        assertThat(q.getNonBlocking()).isTrue();
        assertThat(q.getLastAttributeChange().getPid()).isEqualTo(CREATOR);
        assertThat(q.getNotifyRegistrations()).isEqualTo(1);
        assertThat(q.getLastNotify().getUid()).isEqualTo(OTHER_UID);
        assertThat(q.getLastNotification()).isEqualTo("signal");
        assertThat(q.getUnlinked()).isTrue();
        assertThat(q.getUnlinkedBy().getPid()).isEqualTo(CREATOR);
        assertThat(q.getFirstSeen()).isEqualTo(T0);
        assertThat(q.getLastSeen()).isEqualTo(T0.plusSeconds(24));
    }

    @Test
    void anUnlinkedQueuesRowLeavesTheTableAfterItsRetentionWithATombstone() throws Exception {
        try (TopologyFixture f = new TopologyFixture(state, Map.of("mqtap.queues.unlinked-retention", "PT1M"))) {
            life(f, true);
            // another queue of the host, used all along: stream time goes on, its row stays
            f.pipe(other(T0.plusSeconds(60)));
            KeyValueStore<String, MqQueue> table = f.driver.getKeyValueStore(QueueTable.STORE);
            assertThat(table.get(KEY)).as("within a minute of the unlink").isNotNull();
            f.pipe(other(T0.plusSeconds(24 + 61)));
            assertThat(table.get(KEY)).as("a minute after the unlink").isNull();
            assertThat(table.get(OTHER_KEY)).isNotNull();
            var updates = f.queues.readKeyValuesToList().stream().filter(kv -> kv.key.equals(KEY)).toList();
            assertThat(updates.get(updates.size() - 1).value).as("the last update of the row is its tombstone").isNull();
        }
    }

    @Test
    void aQueueNothingWasHeardOfLeavesTheTableAfterTheIdleRetention() throws Exception {
        try (TopologyFixture f = new TopologyFixture(state, Map.of("mqtap.queues.idle-retention", "PT10M"))) {
            f.pipe(LifeEvents.open(HOST_A, 0, T0, CREATOR, OWNER, "q", true));
            f.pipe(other(T0.plusSeconds(9 * 60)));
            KeyValueStore<String, MqQueue> table = f.driver.getKeyValueStore(QueueTable.STORE);
            assertThat(table.get(KEY)).isNotNull();
            f.pipe(other(T0.plusSeconds(10 * 60 + 1)));
            assertThat(table.get(KEY)).as("nothing about it for ten minutes").isNull();
            assertThat(table.get(OTHER_KEY)).as("heard of a second ago").isNotNull();
        }
    }

    @Test
    void aQueueOfALaterBootThatGotAnOldInodeStartsANewRow() throws Exception {
        // queues die with their boot; the next boot numbers its queues' inodes from the start again
        try (TopologyFixture f = new TopologyFixture(state, Map.of())) {
            life(f, true);
            String nextBoot = "33333333-3333-4333-8333-333333333333";
            MqOpen reborn = LifeEvents.open(HOST_A, 0, T0.plusSeconds(600), OTHER, OTHER_UID, "r", true);
            reborn.setBootId(nextBoot);
            reborn.setRunId(java.util.UUID.randomUUID().toString());
            f.pipe(reborn);
            MqQueue q = f.driver.<String, MqQueue>getKeyValueStore(QueueTable.STORE).get(KEY);
            assertThat(q.getBootId()).isEqualTo(nextBoot);
            assertThat(q.getCreatedBy().getPid()).isEqualTo(OTHER);
            assertThat(q.getOpens()).isEqualTo(1);
            assertThat(q.getSends()).isZero();
            assertThat(q.getUnlinked()).isFalse();
            assertThat(q.getFirstSeen()).isEqualTo(T0.plusSeconds(600));
            // a late record of the earlier boot changes nothing in the new queue's row
            f.notifies.pipeInput(HOST_A, LifeEvents.notify(HOST_A, 11, T0.plusSeconds(25), OTHER, OTHER_UID, "signal"));
            assertThat(f.driver.<String, MqQueue>getKeyValueStore(QueueTable.STORE).get(KEY)).isEqualTo(q);
        }
    }

    private static final long OTHER_INO = 778L;
    private static final String OTHER_KEY = QueueTable.key(HOST_A, IPC, OTHER_INO);
    private static long otherSequence = 1_000;

    /** A successful open of a second queue of the same host (its own inode): it moves the host's stream time. */
    private static MqOpen other(java.time.Instant at) {
        MqOpen e = LifeEvents.open(HOST_A, otherSequence++, at, OTHER, OTHER_UID, "busy", false);
        e.setQueueInode(OTHER_INO);
        return e;
    }

    @Test
    void aRecordDeliveredTwiceCountsOnceInTheTableAndRaisesOneAlert() throws Exception {
        // at-least-once delivery: a resent record has the same (machineId, runId, sequence)
        try (TopologyFixture f = new TopologyFixture(state, Map.of())) {
            life(f, true);
            f.access.pipeInput(HOST_A, LifeEvents.access(HOST_A, 3, T0.plusSeconds(10), OTHER, OTHER_UID, "send", 600, 600 * 64,
                    Map.of(), 0, "q"));
            f.notifies.pipeInput(HOST_A, LifeEvents.notify(HOST_A, 9, T0.plusSeconds(23), OTHER, OTHER_UID, "signal"));
            checkRow(f.driver.<String, MqQueue>getKeyValueStore(QueueTable.STORE).get(KEY));
            assertThat(f.alerts.readValuesToList().stream().filter(a -> a.getType() == MqOpenAlertType.FOREIGN_NOTIFY))
                    .as("one alert for the registration, not one per copy").hasSize(1);
        }
    }

    @Test
    void anUnlinkThatNamesNoQueueFindsItByName() throws Exception {
        // the tracepoint hook set: the unlink carries the name only
        try (TopologyFixture f = new TopologyFixture(state, Map.of())) {
            life(f, false);
            checkRow(f.driver.<String, MqQueue>getKeyValueStore(QueueTable.STORE).get(KEY));
        }
    }

    @Test
    void anUnlinkSeenBeforeItsQueueWaitsForIt() throws Exception {
        // records of different topics may arrive out of order: the unlink first, then the queue's open
        try (TopologyFixture f = new TopologyFixture(state, Map.of())) {
            f.unlinks.pipeInput(HOST_A, LifeEvents.unlink(HOST_A, 1, T0.plusSeconds(5), CREATOR, OWNER, "late", false));
            assertThat(f.driver.<String, MqQueue>getKeyValueStore(QueueTable.STORE).get(KEY)).isNull();
            f.pipe(LifeEvents.open(HOST_A, 0, T0, CREATOR, OWNER, "late", true));
            MqQueue q = f.driver.<String, MqQueue>getKeyValueStore(QueueTable.STORE).get(KEY);
            assertThat(q.getUnlinked()).isTrue();
            assertThat(q.getUnlinkedBy().getSequence()).isEqualTo(1);
            assertThat(q.getCreatedBy().getSequence()).isZero();
        }
    }

    @Test
    void theThreeAlertsComeFromTheRecordsThemselves() throws Exception {
        try (TopologyFixture f = new TopologyFixture(state, Map.of())) {
            life(f, true);
            // after the unlink, the other process goes on with its descriptor
            f.access.pipeInput(HOST_A, LifeEvents.access(HOST_A, 11, T0.plusSeconds(30), OTHER, OTHER_UID, "send", 5, 5 * 64,
                    Map.of(), 5, "q"));
            f.transfers.pipeInput(HOST_A, LifeEvents.transfer(HOST_A, 12, T0.plusSeconds(31), CREATOR, OWNER, "receive", true));
            f.access.pipeInput(HOST_A, LifeEvents.overflow(HOST_A, 13, T0.plusSeconds(30), 99));
            List<MqOpenAlert> alerts = f.alerts.readValuesToList();
            List<MqOpenAlert> cross = alerts.stream().filter(a -> a.getType() == MqOpenAlertType.CROSS_USER_WRITE).toList();
            // the other user's three send windows; the creator's receives and the overflow raise nothing
            assertThat(cross).hasSize(3).allSatisfy(a -> {
                assertThat(a.getEuid()).isEqualTo(OTHER_UID);
                assertThat(a.getQueueUid()).isEqualTo(OWNER);
                assertThat(a.getQueueInode()).isEqualTo(INO);
                assertThat(a.getSource()).isEqualTo("MqAccess");
                assertThat(a.getMessage()).contains("owned by uid " + OWNER);
            });
            List<MqOpenAlert> stale = alerts.stream().filter(a -> a.getType() == MqOpenAlertType.STALE_DESCRIPTOR).toList();
            assertThat(stale).extracting(MqOpenAlert::getSource, MqOpenAlert::getPid, MqOpenAlert::getCall)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("MqAccess", OTHER, "send"),
                            org.assertj.core.groups.Tuple.tuple("MqTransfer", CREATOR, "receive"));
            assertThat(stale.get(0).getObserved()).isEqualTo(5);
            List<MqOpenAlert> notify = alerts.stream().filter(a -> a.getType() == MqOpenAlertType.FOREIGN_NOTIFY).toList();
            assertThat(notify).singleElement().satisfies(a -> {
                assertThat(a.getPid()).isEqualTo(OTHER);
                assertThat(a.getEuid()).isEqualTo(OTHER_UID);
                assertThat(a.getSource()).isEqualTo("MqNotify");
            });
        }
    }

    @Test
    void everyRecordTypeCountsTowardsCompleteness() throws Exception {
        try (TopologyFixture f = new TopologyFixture(state, Map.of("mqtap.completeness.gap-grace", "PT30S"))) {
            // sequences 0..10 spread over the topics, arriving out of sequence order (each topic in its own order)
            f.access.pipeInput(HOST_A, LifeEvents.access(HOST_A, 3, T0.plusSeconds(10), OTHER, OTHER_UID, "send", 1, 64, Map.of(), 0, "q"));
            f.pipe(LifeEvents.open(HOST_A, 0, T0, CREATOR, OWNER, "q", true));
            f.unlinks.pipeInput(HOST_A, LifeEvents.unlink(HOST_A, 2, T0.plusSeconds(11), CREATOR, OWNER, "q", true));
            f.pipe(LifeEvents.open(HOST_A, 1, T0.plusSeconds(1), OTHER, OTHER_UID, "q", false));
            assertThat(f.completeness.readValuesToList()).as("within the grace nothing is a gap yet").isEmpty();
            // 5 and 6 never come; 4 does, and a record 31 s later makes the gap old enough to report
            f.setattrs.pipeInput(HOST_A, LifeEvents.setattr(HOST_A, 4, T0.plusSeconds(12), CREATOR, OWNER, 0L));
            f.notifies.pipeInput(HOST_A, LifeEvents.notify(HOST_A, 7, T0.plusSeconds(13), CREATOR, OWNER, "none"));
            assertThat(f.completeness.readValuesToList()).isEmpty();
            f.transfers.pipeInput(HOST_A, LifeEvents.transfer(HOST_A, 8, T0.plusSeconds(45), CREATOR, OWNER, "send", false));
            var reports = f.completeness.readValuesToList();
            assertThat(reports).singleElement().satisfies(r -> {
                assertThat(r.getFromSequence()).isEqualTo(5);
                assertThat(r.getToSequence()).isEqualTo(6);
                assertThat(r.getMissing()).isEqualTo(2);
                assertThat(r.getSeen()).isEqualTo(7);
            });
        }
    }
}
