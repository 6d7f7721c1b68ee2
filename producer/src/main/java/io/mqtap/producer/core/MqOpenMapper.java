package io.mqtap.producer.core;

import io.mqtap.avro.MqAttr;
import io.mqtap.avro.MqOpen;
import io.mqtap.capture.Errnos;
import io.mqtap.capture.MqOpenEvent;
import io.mqtap.capture.NameCodec;
import java.nio.ByteBuffer;
import java.time.Instant;

/** Turns one captured kernel event into the published {@code MqOpen} record, enriched with who and when. */
public final class MqOpenMapper {
    private final HostIdentity host;
    private final BootClock clock;
    private final Workloads workloads;
    private final NameHmac nameHmac;

    public MqOpenMapper(HostIdentity host, BootClock clock, Workloads workloads) {
        this(host, clock, workloads, null);
    }

    /** With {@code nameHmac} set, {@code name} and {@code nameRaw} carry the keyed hash of the name, not the name. */
    public MqOpenMapper(HostIdentity host, BootClock clock, Workloads workloads, NameHmac nameHmac) {
        this.host = host;
        this.clock = clock;
        this.workloads = workloads;
        this.nameHmac = nameHmac;
    }

    public MqOpen toRecord(MqOpenEvent e, long sequence) {
        MqOpen r = new MqOpen();
        r.setHostname(host.hostname());
        r.setMachineId(host.machineId());
        r.setBootId(host.bootId());
        r.setRunId(host.runId());
        r.setSequence(sequence);
        r.setTimestamp(Instant.EPOCH.plusNanos(clock.toEpochMicros(e.bootTimeNs()) * 1000L));
        r.setBootTimeNs(e.bootTimeNs());
        r.setProbe(e.probe().label());
        r.setCpu(e.cpu());
        r.setPid(e.pid());
        r.setTid(e.tid());
        r.setPpid(e.ppid());
        r.setNsPid(e.nsPid());
        r.setUid(e.uid());
        r.setGid(e.gid());
        r.setComm(e.comm());
        r.setCgroupId(e.cgroupId());
        r.setMntNs(e.mntNs());
        r.setPidNs(e.pidNs());
        Workloads.Identity who = workloads.of(e.cgroupId());
        r.setContainerId(who.containerId());
        r.setPodUid(who.podUid());
        r.setPodName(who.podName());
        r.setPodNamespace(who.podNamespace());
        r.setPodLabels(who.podLabels());
        r.setCluster(host.cluster());
        byte[] name = e.name();
        if (nameHmac == null) {
            r.setName(NameCodec.decode(name));
            r.setNameRaw(ByteBuffer.wrap(name));
        } else {
            byte[] digest = nameHmac.digest(name);
            r.setName(nameHmac.label(digest));
            r.setNameRaw(ByteBuffer.wrap(digest));
        }
        r.setNameTruncated(e.nameTruncated());
        r.setNameChanged(e.nameChanged());
        r.setNameError(e.nameError() == 0 ? null : Errnos.name(e.nameError()));
        r.setOflag(e.oflag());
        r.setFlags(OpenFlags.names(e.oflag()));
        r.setMode(e.mode());
        // an attr pointer that could not be read is null here, with attrError saying why
        boolean attrRead = e.hasAttr() && e.attrError() == 0;
        r.setAttr(attrRead ? new MqAttr(e.attrFlags(), e.attrMaxmsg(), e.attrMsgsize(), e.attrCurmsgs()) : null);
        r.setAttrError(e.attrError() == 0 ? null : Errnos.name(e.attrError()));
        r.setReturnValue(e.returnValue());
        r.setErrno(Errnos.ofReturn(e.returnValue()));
        r.setDurationNs(e.durationNs() > 0 ? e.durationNs() : null);
        r.setApi(e.api().label());
        MqOpenEvent.Queue q = e.queue();
        if (q != null) {
            byte[] kname = q.kernelName();
            if (kname == null) r.setKernelName(null);
            else if (nameHmac == null) r.setKernelName("/" + NameCodec.decode(kname));
            else r.setKernelName(nameHmac.label(nameHmac.digest(kname))); // comparable with name: no '/'
            r.setQueueInode(q.inode());
            r.setQueueIpcNs(q.ipcNs());
            r.setQueueMode(q.mode());
            r.setQueueUid(q.uid());
            r.setQueueGid(q.gid());
        }
        r.setCreated(e.created());
        r.setIpcNs(e.ipcNs());
        r.setEuid(e.euid());
        r.setFsuid(e.fsuid());
        r.setLoginUid(e.loginUid());
        r.setUserNs(e.userNs());
        r.setProcessStartNs(e.processStartNs());
        r.setExe(e.exe() == null ? null : NameCodec.decode(e.exe()));
        r.setNsTid(e.nsTid());
        return r;
    }
}
