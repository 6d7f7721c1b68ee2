package io.mqtap.streams;

import io.mqtap.streams.avro.MqQueue;
import io.mqtap.streams.avro.QueueActor;
import io.mqtap.streams.avro.internal.LifeFact;
import io.mqtap.streams.avro.internal.LifeKind;
import java.util.ArrayList;
import java.util.Objects;

/**
 * The queue table's rows: one {@link MqQueue} per (host, IPC namespace, inode), built by merging the facts about it.
 * Every merge is order-independent where the topics may interleave: counts add up, "latest" fields keep the later
 * event time, the creator and the unlink are facts that happen once.
 */
final class QueueTable {
    static final String STORE = "queue-table";

    private QueueTable() {}

    static String key(String machineId, long ipcNs, long inode) {
        return machineId + "/" + ipcNs + "/" + inode;
    }

    /** The aggregate before a queue's first fact (the initializer has no key): replaced by {@link #empty} at once. */
    static MqQueue none() {
        return empty("-/0/-1");
    }

    static boolean isNone(MqQueue row) {
        return row == null || row.getQueueInode() == -1;
    }

    static MqQueue empty(String key) {
        String[] k = key.split("/");
        return MqQueue.newBuilder().setHostname("").setMachineId(k[0]).setQueueIpcNs(Long.parseLong(k[1]))
                .setQueueInode(Long.parseLong(k[2])).setFirstSeen(java.time.Instant.MAX).setLastSeen(java.time.Instant.MIN)
                .setOpens(0).setOpeners(0).setOpenedBy(new ArrayList<>()).setSends(0).setSendFailures(0).setSendBytes(0)
                .setReceives(0).setReceiveFailures(0).setReceiveBytes(0).setCallsAfterUnlink(0).setAttributeChanges(0)
                .setNotifyRegistrations(0).setUnlinked(false).build();
    }

    /**
     * The row after one more fact about its key: none (the row is deleted) when the fact retires it; a new row when the
     * fact is from a later boot than the row (a new queue that got an old one's inode); unchanged for a late fact of an
     * earlier boot than the row's.
     */
    static MqQueue apply(String key, LifeFact f, MqQueue row, int maxOpeners) {
        if (f.getKind() == LifeKind.RETIRED) return null;
        if (isNone(row)) return merge(f, withBoot(empty(key), f), maxOpeners);
        boolean otherBoot = f.getBootId() != null && row.getBootId() != null && !f.getBootId().equals(row.getBootId());
        if (otherBoot && f.getTimestamp().isAfter(row.getLastSeen())) return merge(f, withBoot(empty(key), f), maxOpeners);
        if (otherBoot) return row;
        return merge(f, withBoot(row, f), maxOpeners);
    }

    private static MqQueue withBoot(MqQueue row, LifeFact f) {
        if (row.getBootId() == null) row.setBootId(f.getBootId());
        return row;
    }

    /** The row with one more fact in it; {@code maxOpeners} bounds openedBy. */
    static MqQueue merge(LifeFact f, MqQueue row, int maxOpeners) {
        boolean latest = !f.getTimestamp().isBefore(row.getLastSeen());
        if (row.getHostname().isEmpty() || latest) row.setHostname(f.getHostname());
        if (f.getTimestamp().isBefore(row.getFirstSeen())) row.setFirstSeen(f.getTimestamp());
        if (latest) row.setLastSeen(f.getTimestamp());
        if (f.getKernelName() != null && (row.getKernelName() == null || latest)) row.setKernelName(f.getKernelName());
        if (f.getQueueUid() != null && (row.getQueueUid() == null || latest)) {
            row.setQueueMode(f.getQueueMode());
            row.setQueueUid(f.getQueueUid());
            row.setQueueGid(f.getQueueGid());
        }
        QueueActor actor = f.getPid() == null ? null : actor(f);
        switch (f.getKind()) {
            case OPEN -> {
                if (!f.getSuccess()) break;
                row.setOpens(row.getOpens() + 1);
                if (Boolean.TRUE.equals(f.getCreated()) && (row.getCreatedBy() == null
                        || f.getTimestamp().isBefore(row.getCreatedBy().getTimestamp())))
                    row.setCreatedBy(actor);
                boolean known = row.getOpenedBy().stream().anyMatch(a -> a.getPid() == f.getPid()
                        && Objects.equals(a.getProcessStartNs(), f.getProcessStartNs()));
                if (!known) {
                    // openers counts every process; openedBy keeps the first maxOpeners of them
                    row.setOpeners(row.getOpeners() + 1);
                    if (row.getOpenedBy().size() < maxOpeners) row.getOpenedBy().add(actor);
                }
            }
            case ACCESS, TRANSFER -> {
                boolean send = "send".equals(f.getCall());
                if (send) {
                    row.setSends(row.getSends() + f.getCalls());
                    row.setSendFailures(row.getSendFailures() + f.getFailures());
                    row.setSendBytes(row.getSendBytes() + f.getBytes());
                    if (actor != null && later(row.getLastSend(), f)) row.setLastSend(actor);
                } else {
                    row.setReceives(row.getReceives() + f.getCalls());
                    row.setReceiveFailures(row.getReceiveFailures() + f.getFailures());
                    row.setReceiveBytes(row.getReceiveBytes() + f.getBytes());
                    if (actor != null && later(row.getLastReceive(), f)) row.setLastReceive(actor);
                }
                row.setCallsAfterUnlink(row.getCallsAfterUnlink() + f.getCallsAfterUnlink());
            }
            case SETATTR -> {
                if (!f.getSuccess() || f.getNewFlags() == null) break;
                row.setAttributeChanges(row.getAttributeChanges() + 1);
                if (later(row.getLastAttributeChange(), f)) {
                    row.setLastAttributeChange(actor);
                    row.setNonBlocking((f.getNewFlags() & 04000) != 0);
                }
            }
            case NOTIFY -> {
                if (!f.getSuccess() || "remove".equals(f.getNotification())) break;
                row.setNotifyRegistrations(row.getNotifyRegistrations() + 1);
                if (later(row.getLastNotify(), f)) {
                    row.setLastNotify(actor);
                    row.setLastNotification(f.getNotification());
                }
            }
            case UNLINK -> {
                if (!f.getSuccess()) break;
                row.setUnlinked(true);
                row.setUnlinkedBy(actor);
            }
            default -> { }
        }
        return row;
    }

    private static boolean later(QueueActor last, LifeFact f) {
        return last == null || !f.getTimestamp().isBefore(last.getTimestamp());
    }

    static QueueActor actor(LifeFact f) {
        return QueueActor.newBuilder().setPid(f.getPid()).setProcessStartNs(f.getProcessStartNs()).setComm(f.getComm())
                .setExe(f.getExe()).setUid(f.getUid()).setEuid(f.getEuid()).setTimestamp(f.getTimestamp())
                .setRunId(f.getRunId()).setSequence(f.getSequence()).build();
    }
}
