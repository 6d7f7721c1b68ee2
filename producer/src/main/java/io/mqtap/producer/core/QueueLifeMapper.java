package io.mqtap.producer.core;

import io.mqtap.avro.MqAccess;
import io.mqtap.avro.MqNotify;
import io.mqtap.avro.MqQueueAttributes;
import io.mqtap.avro.MqSetAttr;
import io.mqtap.avro.MqTransfer;
import io.mqtap.avro.MqUnlink;
import io.mqtap.capture.AccessRecord;
import io.mqtap.capture.AccessWindow;
import io.mqtap.capture.Caller;
import io.mqtap.capture.Errnos;
import io.mqtap.capture.MqNotifyEvent;
import io.mqtap.capture.MqOpenEvent;
import io.mqtap.capture.MqSetAttrEvent;
import io.mqtap.capture.MqTransferEvent;
import io.mqtap.capture.MqUnlinkEvent;
import io.mqtap.capture.NameCodec;
import io.mqtap.capture.QueueEvent;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Turns each captured call into its published record (MqOpen through {@link MqOpenMapper}; MqUnlink, MqNotify,
 * MqSetAttr, MqTransfer; an access window into MqAccess records), every one with the host's identity and the run's
 * one sequence. The fields the record types share are filled by name, so each is decided in one place.
 */
public final class QueueLifeMapper {
    private final MqOpenMapper opens;
    private final HostIdentity host;
    private final BootClock clock;
    private final Workloads workloads;
    private final NameHmac nameHmac;

    public QueueLifeMapper(HostIdentity host, BootClock clock, Workloads workloads, NameHmac nameHmac) {
        this.opens = new MqOpenMapper(host, clock, workloads, nameHmac);
        this.host = host;
        this.clock = clock;
        this.workloads = workloads;
        this.nameHmac = nameHmac;
    }

    public SpecificRecord toRecord(QueueEvent e, long sequence) {
        if (e instanceof MqOpenEvent o) return opens.toRecord(o, sequence);
        if (e instanceof MqUnlinkEvent u) return unlink(u, sequence);
        if (e instanceof MqNotifyEvent n) return notify(n, sequence);
        if (e instanceof MqSetAttrEvent s) return setAttr(s, sequence);
        if (e instanceof MqTransferEvent t) return transfer(t, sequence);
        throw new IllegalArgumentException("no record for " + e.getClass().getName());
    }

    MqUnlink unlink(MqUnlinkEvent e, long sequence) {
        MqUnlink r = new MqUnlink();
        call(r, e, sequence);
        r.setApi(e.viaFilesystem() ? "unlink" : "mq_unlink");
        if (nameHmac == null) {
            r.setName(NameCodec.decode(e.name()));
            r.setNameRaw(ByteBuffer.wrap(e.name()));
        } else {
            byte[] digest = nameHmac.digest(e.name());
            r.setName(nameHmac.label(digest));
            r.setNameRaw(ByteBuffer.wrap(digest));
        }
        r.setNameTruncated(e.nameTruncated());
        r.setNameError(e.nameError() == 0 ? null : Errnos.name(e.nameError()));
        return r;
    }

    MqNotify notify(MqNotifyEvent e, long sequence) {
        MqNotify r = new MqNotify();
        call(r, e, sequence);
        r.setMqdes(e.mqdes());
        r.setNotification(e.kindLabel());
        boolean withSigno = e.kind() == MqNotifyEvent.SIGNAL || e.kind() == MqNotifyEvent.THREAD;
        r.setSigno(withSigno ? e.signo() : null);
        r.setReadError(e.readError() == 0 ? null : Errnos.name(e.readError()));
        r.setQueueUnlinked(e.queueUnlinked());
        return r;
    }

    MqSetAttr setAttr(MqSetAttrEvent e, long sequence) {
        MqSetAttr r = new MqSetAttr();
        call(r, e, sequence);
        r.setMqdes(e.mqdes());
        r.setNewFlags(e.newFlags());
        r.setNonBlocking(e.newFlags() == null ? null : (e.newFlags() & OpenFlags.O_NONBLOCK) != 0);
        MqSetAttrEvent.Attributes a = e.old();
        r.setOldAttributes(a == null ? null : new MqQueueAttributes(a.flags(), a.maxmsg(), a.msgsize(), a.curmsgs()));
        r.setReadError(e.readError() == 0 ? null : Errnos.name(e.readError()));
        r.setQueueUnlinked(e.queueUnlinked());
        return r;
    }

    MqTransfer transfer(MqTransferEvent e, long sequence) {
        MqTransfer r = new MqTransfer();
        call(r, e, sequence);
        r.setMqdes(e.mqdes());
        r.setCall(e.send() ? "send" : "receive");
        r.setSize(e.send() ? e.msgLen() : Math.max(0, e.returnValue()));
        r.setBufferSize(e.send() ? null : e.msgLen());
        r.setPriority(e.priority());
        r.setTimeout(e.timeout());
        r.setQueueUnlinked(e.queueUnlinked());
        return r;
    }

    /**
     * One window's records: one MqAccess per process, queue and call, then one overflow record per call kind whose
     * calls found the kernel's map full. Each takes the next sequence from {@code next}.
     */
    public List<SpecificRecord> access(AccessWindow w, String probe, java.util.function.LongSupplier next) {
        List<SpecificRecord> out = new ArrayList<>(w.records().size() + 2);
        for (AccessRecord a : w.records()) out.add(access(w, a, probe, next.getAsLong()));
        if (w.send().any()) out.add(overflow(w, w.send(), true, probe, next.getAsLong()));
        if (w.receive().any()) out.add(overflow(w, w.receive(), false, probe, next.getAsLong()));
        return out;
    }

    MqAccess access(AccessWindow w, AccessRecord a, String probe, long sequence) {
        MqAccess r = window(w, a.send(), probe, sequence);
        r.setCalls(a.calls());
        Map<String, Long> errors = new LinkedHashMap<>();
        a.errors().forEach((errno, n) -> errors.merge(Errnos.name(errno), n, Long::sum));
        r.setErrors(errors);
        r.setBytes(a.bytes());
        r.setMinSize(a.minSize());
        r.setMaxSize(a.maxSize());
        r.setFirstCall(instant(a.firstNs()));
        r.setLastCall(instant(a.lastNs()));
        r.setCallsAfterUnlink(a.unlinked());
        r.setWithTimeout(a.timeouts());
        r.setThreads(a.threads());
        r.setOverflow(false);
        // the key's process and queue are known even when the window's caller snapshot was not kept
        r.setPid(a.pid());
        r.setProcessStartNs(a.processStartNs());
        r.setQueueInode(a.queueInode() == 0 ? null : a.queueInode());
        MqTransferEvent c = a.context();
        if (c != null) {
            caller(r, c.caller());
            r.setMqdes(c.mqdes());
            queue(r, c.queue());
        }
        return r;
    }

    private MqAccess overflow(AccessWindow w, AccessWindow.Overflow o, boolean send, String probe, long sequence) {
        MqAccess r = window(w, send, probe, sequence);
        r.setCalls(o.calls());
        // the kernel counts an overflowing call's failures, not their errnos
        r.setErrors(o.errors() == 0 ? Map.of() : Map.of("unknown", o.errors()));
        r.setBytes(o.bytes());
        r.setCallsAfterUnlink(o.unlinked());
        r.setWithTimeout(0L);
        r.setOverflow(true);
        return r;
    }

    private MqAccess window(AccessWindow w, boolean send, String probe, long sequence) {
        MqAccess r = new MqAccess();
        r.setHostname(host.hostname());
        r.setMachineId(host.machineId());
        r.setBootId(host.bootId());
        r.setRunId(host.runId());
        r.setSequence(sequence);
        r.setTimestamp(instant(w.endBootNs()));
        r.setProbe(probe);
        r.setCall(send ? "send" : "receive");
        r.setWindowStart(instant(w.startBootNs()));
        r.setWindowEnd(instant(w.endBootNs()));
        r.setCluster(host.cluster());
        r.setErrors(Map.of());
        return r;
    }

    /** The fields every per-call record shares: who and when, the result, the queue. */
    private void call(SpecificRecordBase r, QueueEvent e, long sequence) {
        r.put("hostname", host.hostname());
        r.put("machineId", host.machineId());
        r.put("bootId", host.bootId());
        r.put("runId", host.runId());
        r.put("sequence", sequence);
        r.put("timestamp", instant(e.bootTimeNs()));
        r.put("bootTimeNs", e.bootTimeNs());
        r.put("probe", e.probe().label());
        r.put("cluster", host.cluster());
        r.put("returnValue", e.returnValue());
        r.put("errno", Errnos.ofReturn(e.returnValue()));
        caller(r, e.caller());
        queue(r, queueOf(e));
    }

    private static MqOpenEvent.Queue queueOf(QueueEvent e) {
        if (e instanceof MqUnlinkEvent u) return u.queue();
        if (e instanceof MqNotifyEvent n) return n.queue();
        if (e instanceof MqSetAttrEvent s) return s.queue();
        if (e instanceof MqTransferEvent t) return t.queue();
        return ((MqOpenEvent) e).queue();
    }

    private void caller(SpecificRecordBase r, Caller c) {
        if (r.getSchema().getField("cpu") != null) r.put("cpu", c.cpu());
        r.put("pid", c.pid());
        r.put("tid", c.tid());
        r.put("ppid", c.ppid());
        r.put("nsPid", c.nsPid());
        r.put("nsTid", c.nsTid());
        r.put("uid", c.uid());
        r.put("gid", c.gid());
        r.put("euid", c.euid());
        r.put("fsuid", c.fsuid());
        r.put("loginUid", c.loginUid());
        r.put("comm", c.comm());
        r.put("exe", c.exe() == null ? null : NameCodec.decode(c.exe()));
        r.put("cgroupId", c.cgroupId());
        r.put("mntNs", c.mntNs());
        r.put("pidNs", c.pidNs());
        r.put("userNs", c.userNs());
        r.put("ipcNs", c.ipcNs());
        r.put("processStartNs", c.processStartNs());
        Workloads.Identity who = workloads.of(c.cgroupId());
        r.put("containerId", who.containerId());
        r.put("podUid", who.podUid());
        r.put("podName", who.podName());
        r.put("podNamespace", who.podNamespace());
        r.put("podLabels", who.podLabels());
    }

    private void queue(SpecificRecordBase r, MqOpenEvent.Queue q) {
        if (q == null) return;
        byte[] kname = q.kernelName();
        if (kname == null) r.put("kernelName", null);
        else if (nameHmac == null) r.put("kernelName", "/" + NameCodec.decode(kname));
        else r.put("kernelName", nameHmac.label(nameHmac.digest(kname))); // as MqOpen.kernelName
        r.put("queueInode", q.inode());
        r.put("queueIpcNs", q.ipcNs());
        r.put("queueMode", q.mode());
        r.put("queueUid", q.uid());
        r.put("queueGid", q.gid());
    }

    private Instant instant(long bootNs) {
        return Instant.EPOCH.plusNanos(clock.toEpochMicros(bootNs) * 1000L);
    }
}
