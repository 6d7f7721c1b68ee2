package io.mqtap.streams;

import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenAlertSeverity;
import io.mqtap.streams.avro.MqOpenAlertType;
import io.mqtap.streams.avro.internal.LifeFact;
import io.mqtap.streams.avro.internal.LifeKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The queue-table alerts, each decided from one record: the facts they need (the queue's owner, whether its name was
 * gone) were read in the kernel at the call, so they hold whatever order records of different topics arrive in.
 * <ul>
 * <li>CROSS_USER_WRITE: successful sends (MqAccess, MqTransfer) by a process whose euid is not the queue owner's uid.
 * <li>STALE_DESCRIPTOR: sends or receives on a queue whose name had been removed.
 * <li>FOREIGN_NOTIFY: a successful notify registration by a process whose euid is not the queue owner's uid.
 * </ul>
 */
final class LifeRules {
    private LifeRules() {}

    static List<MqOpenAlert> alertsFor(LifeFact f) {
        List<MqOpenAlert> out = new ArrayList<>(1);
        boolean transfer = f.getKind() == LifeKind.ACCESS || f.getKind() == LifeKind.TRANSFER;
        String source = f.getKind() == LifeKind.ACCESS ? "MqAccess" : f.getKind() == LifeKind.TRANSFER ? "MqTransfer" : "MqNotify";
        if (transfer && !f.getOverflow() && "send".equals(f.getCall()) && f.getCalls() > f.getFailures()
                && otherUser(f)) {
            out.add(alert(f, MqOpenAlertType.CROSS_USER_WRITE, source, String.format(
                    "%s: %s (pid %d, euid %d) sent %d message(s), %d bytes, to %s owned by uid %d", f.getHostname(),
                    f.getComm(), f.getPid(), f.getEuid(), f.getCalls() - f.getFailures(), f.getBytes(), queue(f), f.getQueueUid()))
                    .build());
        }
        if (transfer && !f.getOverflow() && f.getCallsAfterUnlink() > 0) {
            out.add(alert(f, MqOpenAlertType.STALE_DESCRIPTOR, source, String.format(
                    "%s: %s (pid %d) made %d %s call(s) on %s after its name was removed (a stale descriptor)",
                    f.getHostname(), f.getComm(), f.getPid(), f.getCallsAfterUnlink(), f.getCall(), queue(f)))
                    .setObserved(f.getCallsAfterUnlink()).build());
        }
        if (f.getKind() == LifeKind.NOTIFY && f.getSuccess() && !"remove".equals(f.getNotification()) && otherUser(f)) {
            out.add(alert(f, MqOpenAlertType.FOREIGN_NOTIFY, source, String.format(
                    "%s: %s (pid %d, euid %d) registered for %s notification on %s owned by uid %d", f.getHostname(),
                    f.getComm(), f.getPid(), f.getEuid(), f.getNotification(), queue(f), f.getQueueUid())).build());
        }
        return out;
    }

    private static boolean otherUser(LifeFact f) {
        return f.getEuid() != null && f.getQueueUid() != null && !Objects.equals(f.getEuid(), f.getQueueUid());
    }

    private static String queue(LifeFact f) {
        return (f.getKernelName() != null ? f.getKernelName() : "queue") + " (inode " + f.getQueueInode() + ")";
    }

    private static MqOpenAlert.Builder alert(LifeFact f, MqOpenAlertType type, String source, String message) {
        return MqOpenAlert.newBuilder().setType(type).setSeverity(MqOpenAlertSeverity.WARNING).setHostname(f.getHostname())
                .setMachineId(f.getMachineId()).setComm(f.getComm() == null ? "" : f.getComm())
                .setTimestamp(f.getTimestamp()).setMessage(message).setPid(f.getPid()).setUid(f.getUid())
                .setEuid(f.getEuid()).setRunId(f.getRunId()).setSequence(f.getSequence()).setKernelName(f.getKernelName())
                .setQueueName(f.getKernelName()).setQueueInode(f.getQueueInode()).setQueueIpcNs(f.getQueueIpcNs())
                .setQueueUid(f.getQueueUid()).setCall(f.getCall()).setSource(source);
    }
}
