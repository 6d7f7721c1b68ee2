package io.mqtap.streams;

import io.mqtap.avro.MqAccess;
import io.mqtap.avro.MqNotify;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqSetAttr;
import io.mqtap.avro.MqTransfer;
import io.mqtap.avro.MqUnlink;
import io.mqtap.streams.avro.internal.LifeFact;
import io.mqtap.streams.avro.internal.LifeKind;

/** Each record type of the producer as the one shape the queue table, the rules and the completeness monitor read. */
final class LifeFacts {
    private LifeFacts() {}

    static LifeFact of(MqOpen e) {
        return base(LifeKind.OPEN, e.getHostname(), e.getMachineId(), e.getBootId(), e.getRunId(), e.getSequence(), e.getTimestamp())
                .setSuccess(e.getReturnValue() >= 0).setErrno(e.getErrno())
                .setQueueIpcNs(e.getQueueIpcNs()).setQueueInode(e.getQueueInode()).setKernelName(e.getKernelName())
                .setQueueMode(e.getQueueMode()).setQueueUid(e.getQueueUid()).setQueueGid(e.getQueueGid())
                .setIpcNs(e.getIpcNs()).setPid(e.getPid()).setProcessStartNs(e.getProcessStartNs()).setComm(e.getComm())
                .setExe(e.getExe()).setUid(e.getUid()).setEuid(e.getEuid()).setCreated(e.getCreated()).build();
    }

    static LifeFact of(MqUnlink e) {
        return base(LifeKind.UNLINK, e.getHostname(), e.getMachineId(), e.getBootId(), e.getRunId(), e.getSequence(), e.getTimestamp())
                .setSuccess(e.getReturnValue() >= 0).setErrno(e.getErrno())
                .setQueueIpcNs(e.getQueueIpcNs()).setQueueInode(e.getQueueInode()).setKernelName(e.getKernelName())
                .setName(e.getNameError() == null ? e.getName() : null)
                .setQueueMode(e.getQueueMode()).setQueueUid(e.getQueueUid()).setQueueGid(e.getQueueGid())
                .setIpcNs(e.getIpcNs()).setPid(e.getPid()).setProcessStartNs(e.getProcessStartNs()).setComm(e.getComm())
                .setExe(e.getExe()).setUid(e.getUid()).setEuid(e.getEuid()).build();
    }

    static LifeFact of(MqNotify e) {
        return base(LifeKind.NOTIFY, e.getHostname(), e.getMachineId(), e.getBootId(), e.getRunId(), e.getSequence(), e.getTimestamp())
                .setSuccess(e.getReturnValue() >= 0).setErrno(e.getErrno())
                .setQueueIpcNs(e.getQueueIpcNs()).setQueueInode(e.getQueueInode()).setKernelName(e.getKernelName())
                .setQueueMode(e.getQueueMode()).setQueueUid(e.getQueueUid()).setQueueGid(e.getQueueGid())
                .setIpcNs(e.getIpcNs()).setPid(e.getPid()).setProcessStartNs(e.getProcessStartNs()).setComm(e.getComm())
                .setExe(e.getExe()).setUid(e.getUid()).setEuid(e.getEuid())
                .setCallsAfterUnlink(e.getQueueUnlinked() ? 1 : 0)
                .setNotification(e.getNotification()).setSigno(e.getSigno()).build();
    }

    static LifeFact of(MqSetAttr e) {
        return base(LifeKind.SETATTR, e.getHostname(), e.getMachineId(), e.getBootId(), e.getRunId(), e.getSequence(), e.getTimestamp())
                .setSuccess(e.getReturnValue() >= 0).setErrno(e.getErrno())
                .setQueueIpcNs(e.getQueueIpcNs()).setQueueInode(e.getQueueInode()).setKernelName(e.getKernelName())
                .setQueueMode(e.getQueueMode()).setQueueUid(e.getQueueUid()).setQueueGid(e.getQueueGid())
                .setIpcNs(e.getIpcNs()).setPid(e.getPid()).setProcessStartNs(e.getProcessStartNs()).setComm(e.getComm())
                .setExe(e.getExe()).setUid(e.getUid()).setEuid(e.getEuid())
                .setCallsAfterUnlink(e.getQueueUnlinked() ? 1 : 0).setNewFlags(e.getNewFlags()).build();
    }

    static LifeFact of(MqAccess e) {
        long failures = e.getErrors().values().stream().mapToLong(Long::longValue).sum();
        return base(LifeKind.ACCESS, e.getHostname(), e.getMachineId(), e.getBootId(), e.getRunId(), e.getSequence(), e.getTimestamp())
                .setSuccess(e.getCalls() > failures).setErrno(null)
                .setQueueIpcNs(e.getQueueIpcNs()).setQueueInode(e.getQueueInode()).setKernelName(e.getKernelName())
                .setQueueMode(e.getQueueMode()).setQueueUid(e.getQueueUid()).setQueueGid(e.getQueueGid())
                .setIpcNs(e.getIpcNs()).setPid(e.getPid()).setProcessStartNs(e.getProcessStartNs()).setComm(e.getComm())
                .setExe(e.getExe()).setUid(e.getUid()).setEuid(e.getEuid())
                .setCall(e.getCall()).setCalls(e.getCalls()).setFailures(failures).setBytes(e.getBytes())
                .setCallsAfterUnlink(e.getCallsAfterUnlink()).setOverflow(e.getOverflow()).build();
    }

    static LifeFact of(MqTransfer e) {
        boolean ok = e.getReturnValue() >= 0;
        return base(LifeKind.TRANSFER, e.getHostname(), e.getMachineId(), e.getBootId(), e.getRunId(), e.getSequence(), e.getTimestamp())
                .setSuccess(ok).setErrno(e.getErrno())
                .setQueueIpcNs(e.getQueueIpcNs()).setQueueInode(e.getQueueInode()).setKernelName(e.getKernelName())
                .setQueueMode(e.getQueueMode()).setQueueUid(e.getQueueUid()).setQueueGid(e.getQueueGid())
                .setIpcNs(e.getIpcNs()).setPid(e.getPid()).setProcessStartNs(e.getProcessStartNs()).setComm(e.getComm())
                .setExe(e.getExe()).setUid(e.getUid()).setEuid(e.getEuid())
                .setCall(e.getCall()).setCalls(1).setFailures(ok ? 0 : 1).setBytes(ok ? e.getSize() : 0)
                .setCallsAfterUnlink(e.getQueueUnlinked() ? 1 : 0).build();
    }

    private static LifeFact.Builder base(LifeKind kind, String hostname, String machineId, String bootId, String runId, long sequence,
                                         java.time.Instant timestamp) {
        return LifeFact.newBuilder().setKind(kind).setHostname(hostname).setMachineId(machineId).setBootId(bootId).setRunId(runId)
                .setSequence(sequence).setTimestamp(timestamp);
    }
}
