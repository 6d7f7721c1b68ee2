package io.mqtap.capture;

/** The BPF object could not be loaded; {@link #verifierLog()} holds what libbpf and the verifier said. */
public class ProbeLoadException extends ProbeException {
    private final String verifierLog;

    public ProbeLoadException(String operation, int errno, String message, String verifierLog) {
        super(operation, errno, message);
        this.verifierLog = verifierLog == null ? "" : verifierLog;
    }

    public String verifierLog() {
        return verifierLog;
    }
}
