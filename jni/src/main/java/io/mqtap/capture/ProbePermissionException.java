package io.mqtap.capture;

/** The process lacks CAP_BPF and CAP_PERFMON (or root); the message says how to grant them. */
public class ProbePermissionException extends ProbeLoadException {
    static final String HOW =
            "loading the mq_open probe needs CAP_BPF and CAP_PERFMON (or root): run mqtap as root, or grant them with "
            + "`sudo setcap cap_bpf,cap_perfmon+ep \"$(readlink -f \"$(command -v java)\")\"`; in a container add "
            + "--cap-add BPF --cap-add PERFMON";

    public ProbePermissionException(String operation, int errno, String message, String verifierLog) {
        super(operation, errno, message, verifierLog);
    }
}
