package io.mqtap.streams;

import io.mqtap.records.Printable;
import io.mqtap.avro.MqOpen;
import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenAlertSeverity;
import io.mqtap.streams.avro.MqOpenAlertType;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The per-event alert rules: each looks at one MqOpen and needs no state. */
public final class EventRules {
    static final int O_CREAT = 0100;
    static final int S_IWOTH = 0002;

    private EventRules() {}

    /** Every alert one event raises, in a fixed order; usually none. */
    public static List<MqOpenAlert> alertsFor(MqOpen e) {
        List<MqOpenAlert> out = new ArrayList<>(1);
        String why = suspiciousName(e.getNameRaw());
        if (why != null) {
            out.add(alert(e, MqOpenAlertType.SUSPICIOUS_NAME, MqOpenAlertSeverity.WARNING,
                    "queue name '" + Printable.escape(e.getName()) + "' " + why)
                    .setNameRaw(copy(e.getNameRaw())).build());
        }
        if (worldWritableCreate(e)) {
            out.add(alert(e, MqOpenAlertType.WORLD_WRITABLE_CREATE, MqOpenAlertSeverity.WARNING, worldWritableMessage(e))
                    .setMode(e.getMode()).setQueueMode(e.getQueueMode()).setCreated(e.getCreated()).build());
        }
        if (nameChanged(e)) {
            out.add(alert(e, MqOpenAlertType.NAME_CHANGED, MqOpenAlertSeverity.CRITICAL,
                    (e.getKernelName() != null
                            ? "the call opened '" + Printable.escape(e.getKernelName()) + "' while user memory held '" + Printable.escape(e.getName()) + "' at entry"
                            : "the queue name changed in user memory during a call that failed (read '" + Printable.escape(e.getName()) + "' at entry)")
                            + ": TOCTOU attempt")
                    .setNameRaw(copy(e.getNameRaw())).build());
        }
        return out;
    }

    /** Why the name is suspicious (control bytes, not UTF-8), or null when it is not. */
    static String suspiciousName(ByteBuffer raw) {
        if (raw == null) {
            return null;
        }
        ByteBuffer b = raw.duplicate();
        for (int i = b.position(); i < b.limit(); i++) {
            int u = b.get(i) & 0xff;
            if (u < 0x20 || u == 0x7f) {
                return String.format("contains the control byte 0x%02x", u);
            }
        }
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(b);
            return null;
        } catch (CharacterCodingException ex) {
            return "is not valid UTF-8";
        }
    }

    /**
     * A successful call that created (or, where the hook set can't tell, may have created) a queue whose mode,
     * as the kernel set it after the umask, lets others write. Records without queueMode (producers before
     * version 2) are judged by the mode asked for, as before.
     */
    static boolean worldWritableCreate(MqOpen e) {
        if (e.getReturnValue() < 0) return false;
        if (e.getQueueMode() != null)
            return !Boolean.FALSE.equals(e.getCreated()) && hasCreat(e) && (e.getQueueMode() & S_IWOTH) != 0;
        return hasCreat(e) && (e.getMode() & S_IWOTH) != 0;
    }

    private static boolean hasCreat(MqOpen e) {
        return (e.getOflag() & O_CREAT) != 0 || e.getFlags().contains("O_CREAT");
    }

    private static String worldWritableMessage(MqOpen e) {
        String q = "queue '" + Printable.escape(e.getKernelName() != null ? e.getKernelName() : e.getName()) + "'";
        if (e.getQueueMode() == null)
            return q + " opened with O_CREAT and world-writable mode 0" + Integer.toOctalString(e.getMode());
        String mode = " with mode 0" + Integer.toOctalString(e.getQueueMode()) + " (asked 0" + Integer.toOctalString(e.getMode()) + ")";
        return Boolean.TRUE.equals(e.getCreated()) ? q + " created world-writable" + mode
                : q + " is world-writable" + mode + "; opened with O_CREAT, and this hook set cannot tell whether this call created it";
    }

    /** A real change: the name the call used differs from a name that was readable at entry. */
    static boolean nameChanged(MqOpen e) {
        return e.getNameChanged() && e.getNameError() == null;
    }

    private static MqOpenAlert.Builder alert(MqOpen e, MqOpenAlertType type, MqOpenAlertSeverity severity, String message) {
        return MqOpenAlert.newBuilder()
                .setType(type)
                .setSeverity(severity)
                .setHostname(e.getHostname())
                .setMachineId(e.getMachineId())
                .setComm(e.getComm())
                .setTimestamp(e.getTimestamp())
                // the message is read by people and alerting tools: control and bidi characters escaped; the fields keep them raw
                .setMessage(Printable.escape(e.getHostname()) + ": " + Printable.escape(e.getComm()) + " (pid " + e.getPid() + ", uid " + e.getUid() + "): " + message)
                .setPid(e.getPid())
                .setUid(e.getUid())
                .setRunId(e.getRunId())
                .setSequence(e.getSequence())
                .setQueueName(e.getName())
                .setKernelName(e.getKernelName())
                .setErrno(e.getErrno());
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        ByteBuffer c = ByteBuffer.allocate(d.remaining());
        c.put(d).flip();
        return c;
    }
}
