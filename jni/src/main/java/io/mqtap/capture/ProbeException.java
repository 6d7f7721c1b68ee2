package io.mqtap.capture;

/**
 * A probe operation failed. Carries the errno and the operation, e.g.
 * {@code "bpf_object__load(mq_open) failed: Operation not permitted (EPERM): ..."}.
 */
public class ProbeException extends Exception {
    private final int errno;
    private final String operation;

    public ProbeException(String operation, int errno, String message) {
        super(message);
        this.operation = operation;
        this.errno = errno;
    }

    /** The positive errno of the failure (0 when none applies). */
    public int errno() {
        return errno;
    }

    /** The operation that failed, e.g. "load", "attach", "drain". */
    public String operation() {
        return operation;
    }
}
