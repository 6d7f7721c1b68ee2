package io.mqtap.streams;

import io.mqtap.avro.MqAccess;
import io.mqtap.avro.MqNotify;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqQueueAttributes;
import io.mqtap.avro.MqSetAttr;
import io.mqtap.avro.MqTransfer;
import io.mqtap.avro.MqUnlink;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test records of a queue's life on one host: one queue (ipc namespace IPC, inode INO), callers by uid. */
final class LifeEvents {
    static final long IPC = 4026531839L;
    static final long INO = 777L;
    static final long OWNER = 1000L;

    private LifeEvents() {}

    /** A successful mq_open of the queue by pid (uid = euid) at {@code at}; {@code created} says whether it created it. */
    static MqOpen open(String machineId, long sequence, Instant at, long pid, long uid, String name, boolean created) {
        return Events.created(Events.open(machineId, "p" + pid, at), 0600).setSequence(sequence).setPid(pid).setTid(pid)
                .setUid(uid).setEuid(uid).setFsuid(uid).setIpcNs(IPC).setProcessStartNs(pid * 10).setName(name)
                .setNameRaw(ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8))).setKernelName("/" + name)
                .setQueueInode(INO).setQueueIpcNs(IPC).setQueueMode(0660).setQueueUid(OWNER).setQueueGid(OWNER)
                .setCreated(created).build();
    }

    static MqAccess access(String machineId, long sequence, Instant end, long pid, long uid, String call, long calls, long bytes,
                           Map<String, Long> errors, long afterUnlink, String name) {
        return MqAccess.newBuilder().setHostname("host-" + machineId.charAt(0)).setMachineId(machineId)
                .setBootId("22222222-2222-4222-8222-222222222222").setRunId(Events.RUN).setSequence(sequence).setTimestamp(end)
                .setProbe("tracepoint").setCall(call).setWindowStart(end.minusSeconds(10)).setWindowEnd(end).setCalls(calls)
                .setErrors(errors).setBytes(bytes).setMinSize(calls > 0 ? 64L : null).setMaxSize(calls > 0 ? 64L : null)
                .setFirstCall(end.minusSeconds(5)).setLastCall(end.minusSeconds(1)).setCallsAfterUnlink(afterUnlink)
                .setWithTimeout(0).setThreads(1).setOverflow(false).setPid(pid).setTid(pid).setPpid(1L).setNsPid(pid)
                .setNsTid(pid).setUid(uid).setGid(uid).setEuid(uid).setFsuid(uid).setComm("p" + pid).setCgroupId(1L)
                .setMntNs(1L).setPidNs(1L).setUserNs(1L).setIpcNs(IPC).setProcessStartNs(pid * 10).setMqdes(3)
                .setQueueInode(INO).setQueueIpcNs(IPC).setKernelName("/" + name).setQueueMode(0660).setQueueUid(OWNER)
                .setQueueGid(OWNER).build();
    }

    /** An overflow record: counted calls without process or queue. */
    static MqAccess overflow(String machineId, long sequence, Instant end, long calls) {
        return MqAccess.newBuilder().setHostname("host-" + machineId.charAt(0)).setMachineId(machineId)
                .setBootId("22222222-2222-4222-8222-222222222222").setRunId(Events.RUN).setSequence(sequence).setTimestamp(end)
                .setProbe("tracepoint").setCall("send").setWindowStart(end.minusSeconds(10)).setWindowEnd(end).setCalls(calls)
                .setErrors(Map.of()).setBytes(calls * 64).setCallsAfterUnlink(0).setWithTimeout(0).setOverflow(true).build();
    }

    static MqSetAttr setattr(String machineId, long sequence, Instant at, long pid, long uid, Long newFlags) {
        return caller(MqSetAttr.newBuilder(), machineId, sequence, at, pid, uid).setMqdes(3).setNewFlags(newFlags)
                .setNonBlocking(newFlags == null ? null : (newFlags & 04000) != 0)
                .setOldAttributes(new MqQueueAttributes(0L, 10L, 64L, 0L)).setReturnValue(0).setErrno(null)
                .setQueueInode(INO).setQueueIpcNs(IPC).setKernelName("/q").setQueueMode(0660).setQueueUid(OWNER)
                .setQueueGid(OWNER).setQueueUnlinked(false).build();
    }

    static MqNotify notify(String machineId, long sequence, Instant at, long pid, long uid, String notification) {
        return caller(MqNotify.newBuilder(), machineId, sequence, at, pid, uid).setMqdes(3).setNotification(notification)
                .setSigno("signal".equals(notification) ? 10 : null).setReturnValue(0).setErrno(null)
                .setQueueInode(INO).setQueueIpcNs(IPC).setKernelName("/q").setQueueMode(0660).setQueueUid(OWNER)
                .setQueueGid(OWNER).setQueueUnlinked(false).build();
    }

    /** A successful mq_unlink of {@code name}; {@code withQueue}: the hook set named the queue (fentry, kprobe). */
    static MqUnlink unlink(String machineId, long sequence, Instant at, long pid, long uid, String name, boolean withQueue) {
        MqUnlink.Builder b = caller(MqUnlink.newBuilder(), machineId, sequence, at, pid, uid).setApi("mq_unlink").setName(name)
                .setNameRaw(ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8))).setNameTruncated(false).setNameError(null)
                .setReturnValue(0).setErrno(null);
        if (withQueue)
            b.setQueueInode(INO).setQueueIpcNs(IPC).setKernelName("/" + name).setQueueMode(0660).setQueueUid(OWNER).setQueueGid(OWNER);
        return b.build();
    }

    static MqTransfer transfer(String machineId, long sequence, Instant at, long pid, long uid, String call, boolean unlinked) {
        return caller(MqTransfer.newBuilder(), machineId, sequence, at, pid, uid).setMqdes(3).setCall(call).setSize(64)
                .setBufferSize(call.equals("send") ? null : 8192L).setPriority(0L).setTimeout(false).setReturnValue(call.equals("send") ? 0 : 64)
                .setErrno(null).setQueueInode(INO).setQueueIpcNs(IPC).setKernelName("/q").setQueueMode(0660)
                .setQueueUid(OWNER).setQueueGid(OWNER).setQueueUnlinked(unlinked).build();
    }

    /** The caller fields every record of a call carries, set the same way on any of the generated builders. */
    @SuppressWarnings("unchecked")
    private static <B extends org.apache.avro.specific.SpecificRecordBuilderBase<?>> B caller(B b, String machineId, long sequence,
                                                                                             Instant at, long pid, long uid) {
        org.apache.avro.Schema schema = schemaOf(b);
        List<Object[]> values = new ArrayList<>(List.of(
                new Object[] {"hostname", "host-" + machineId.charAt(0)}, new Object[] {"machineId", machineId},
                new Object[] {"bootId", "22222222-2222-4222-8222-222222222222"}, new Object[] {"runId", Events.RUN},
                new Object[] {"sequence", sequence}, new Object[] {"timestamp", at}, new Object[] {"bootTimeNs", 1_000L},
                new Object[] {"probe", "tracepoint"}, new Object[] {"cpu", 0}, new Object[] {"pid", pid}, new Object[] {"tid", pid},
                new Object[] {"ppid", 1L}, new Object[] {"nsPid", pid}, new Object[] {"nsTid", pid}, new Object[] {"uid", uid},
                new Object[] {"gid", uid}, new Object[] {"euid", uid}, new Object[] {"fsuid", uid}, new Object[] {"comm", "p" + pid},
                new Object[] {"cgroupId", 1L}, new Object[] {"mntNs", 1L}, new Object[] {"pidNs", 1L}, new Object[] {"userNs", 1L},
                new Object[] {"ipcNs", IPC}, new Object[] {"processStartNs", pid * 10}));
        try {
            for (Object[] v : values) {
                var m = b.getClass().getMethod("set" + Character.toUpperCase(((String) v[0]).charAt(0)) + ((String) v[0]).substring(1),
                        schemaType(schema, (String) v[0], v[1]));
                m.invoke(b, v[1]);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return b;
    }

    private static org.apache.avro.Schema schemaOf(Object builder) {
        String record = builder.getClass().getEnclosingClass().getName();
        try {
            return (org.apache.avro.Schema) Class.forName(record).getField("SCHEMA$").get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Class<?> schemaType(org.apache.avro.Schema schema, String field, Object value) {
        org.apache.avro.Schema f = schema.getField(field).schema();
        boolean nullable = f.getType() == org.apache.avro.Schema.Type.UNION;
        if (value instanceof Long) return nullable ? Long.class : long.class;
        if (value instanceof Integer) return nullable ? Integer.class : int.class;
        return value.getClass();
    }
}
