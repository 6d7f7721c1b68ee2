package io.mqtap.capture;

/** No hook set could be attached; {@link #report()} says why each one failed. */
public class ProbeAttachException extends ProbeException {
    private final AttachReport report;

    public ProbeAttachException(int errno, String message, AttachReport report) {
        super("attach", errno, message);
        this.report = report;
    }

    public AttachReport report() {
        return report;
    }
}
