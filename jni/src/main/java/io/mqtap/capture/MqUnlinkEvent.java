package io.mqtap.capture;

import java.util.Arrays;
import java.util.Objects;

/**
 * A queue's name removed, or an attempt: mq_unlink(2), or (viaFilesystem) unlink/unlinkat of a file on a mounted
 * mqueue filesystem, which the fentry and kprobe sets see in the kernel's mqueue_unlink (successes only).
 *
 * @param name          mq_unlink: the name read from user memory at exit; filesystem: the path argument
 * @param nameTruncated longer than 255 bytes; {@code nameError} errno of a failed read (0: read)
 * @param returnValue   0, or -errno
 * @param viaFilesystem unlink/unlinkat through the filesystem rather than mq_unlink
 * @param queue         the queue whose name the kernel removed (its inode, owner, kernel name), or null: the call
 *                      failed, or the hook set has no hook where the kernel removes it (tracepoint)
 */
public record MqUnlinkEvent(long bootTimeNs, AttachMode probe, Caller caller, byte[] name, boolean nameTruncated,
                            int nameError, long returnValue, boolean viaFilesystem, MqOpenEvent.Queue queue) implements QueueEvent {

    @Override
    public boolean equals(Object o) {
        return o instanceof MqUnlinkEvent e && bootTimeNs == e.bootTimeNs && probe == e.probe && caller.equals(e.caller)
                && Arrays.equals(name, e.name) && nameTruncated == e.nameTruncated && nameError == e.nameError
                && returnValue == e.returnValue && viaFilesystem == e.viaFilesystem && Objects.equals(queue, e.queue);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bootTimeNs) * 31 + Arrays.hashCode(name);
    }

    @Override
    public String toString() {
        return "MqUnlinkEvent{name=" + NameCodec.decode(name) + (viaFilesystem ? " (filesystem)" : "") + ", ret=" + returnValue
                + ", queue=" + queue + ", caller=" + caller + ", probe=" + probe.label() + "}";
    }
}
