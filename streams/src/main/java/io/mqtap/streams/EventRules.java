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
            out.add(alert(e, MqOpenAlertType.WORLD_WRITABLE_CREATE, MqOpenAlertSeverity.WARNING,
                    "queue '" + Printable.escape(e.getName()) + "' opened with O_CREAT and world-writable mode 0"
                            + Integer.toOctalString(e.getMode()))
                    .setMode(e.getMode()).build());
        }
        if (e.getNameChanged()) {
            out.add(alert(e, MqOpenAlertType.NAME_CHANGED, MqOpenAlertSeverity.CRITICAL,
                    "the queue name changed in user memory during the call (reported '" + Printable.escape(e.getName())
                            + "'): possible TOCTOU attempt")
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

    /** A successful call that asked to create the queue with the other-write bit in its mode. */
    static boolean worldWritableCreate(MqOpen e) {
        boolean creat = (e.getOflag() & O_CREAT) != 0 || e.getFlags().contains("O_CREAT");
        return creat && (e.getMode() & S_IWOTH) != 0 && e.getReturnValue() >= 0;
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
                .setErrno(e.getErrno());
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        ByteBuffer c = ByteBuffer.allocate(d.remaining());
        c.put(d).flip();
        return c;
    }
}
