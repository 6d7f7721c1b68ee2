package io.mqtap.streams;

import io.mqtap.streams.avro.internal.LifeFact;
import io.mqtap.streams.avro.internal.LifeKind;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Gives each fact about a queue the queue's key ({@link QueueTable#key}), per host. Most records name the queue by
 * its inode; an unlink seen by the tracepoint hook set (no hook where the kernel removes the name) names it only by
 * the name it was given, so the latest queue opened under that name in that IPC namespace is the one. An unlink whose
 * name no queue has yet (its open arrives later, from another topic) waits until a queue of that name opened before
 * it shows up. Facts that name no queue (failures on bad descriptors, overflow) are not passed on.
 */
final class QueueKeyResolver implements Processor<String, LifeFact, String, LifeFact> {
    static final String NAMES = "queue-names";
    static final String PENDING = "queue-pending-unlinks";

    private KeyValueStore<String, String> names;
    private KeyValueStore<String, LifeFact> pending;
    private ProcessorContext<String, LifeFact> context;

    @Override
    public void init(ProcessorContext<String, LifeFact> context) {
        this.context = context;
        this.names = context.getStateStore(NAMES);
        this.pending = context.getStateStore(PENDING);
    }

    @Override
    public void process(Record<String, LifeFact> record) {
        LifeFact f = record.value();
        if (f.getOverflow()) return;
        if (f.getQueueInode() != null && f.getQueueInode() != 0 && f.getQueueIpcNs() != null) {
            String key = QueueTable.key(f.getMachineId(), f.getQueueIpcNs(), f.getQueueInode());
            String byName = f.getKernelName() == null ? null : nameKey(f.getMachineId(), f.getQueueIpcNs(), f.getKernelName());
            context.forward(record.withKey(key));
            if (byName == null) return;
            if (f.getKind() == LifeKind.UNLINK && f.getSuccess()) {
                names.delete(byName); // the name is free again
                return;
            }
            names.put(byName, key);
            LifeFact waiting = pending.get(byName);
            if (waiting != null && !waiting.getTimestamp().isBefore(f.getTimestamp())) {
                pending.delete(byName);
                names.delete(byName);
                context.forward(record.withKey(key).withValue(located(waiting, f)).withTimestamp(
                        Math.max(record.timestamp(), waiting.getTimestamp().toEpochMilli())));
            }
            return;
        }
        if (f.getKind() == LifeKind.UNLINK && f.getSuccess() && f.getName() != null && f.getIpcNs() != null) {
            String byName = nameKey(f.getMachineId(), f.getIpcNs(), f.getName());
            String key = names.get(byName);
            if (key == null) {
                pending.put(byName, f);
                return;
            }
            names.delete(byName);
            String[] k = key.split("/");
            context.forward(record.withKey(key).withValue(LifeFact.newBuilder(f).setQueueIpcNs(Long.parseLong(k[1]))
                    .setQueueInode(Long.parseLong(k[2])).build()));
        }
    }

    /** The unlink that waited, now knowing its queue from a fact about it. */
    private static LifeFact located(LifeFact unlink, LifeFact about) {
        return LifeFact.newBuilder(unlink).setQueueIpcNs(about.getQueueIpcNs()).setQueueInode(about.getQueueInode())
                .setKernelName(about.getKernelName()).build();
    }

    /** Names are kept as the kernel looks them up: without the leading '/' the mq_* API adds. */
    static String nameKey(String machineId, long ipcNs, String name) {
        return machineId + "/" + ipcNs + "/" + (name.startsWith("/") ? name.substring(1) : name);
    }
}
