package io.mqtap.capture;

/**
 * One mq_notify.
 *
 * @param mqdes       the descriptor
 * @param kind        what was asked: a registration's sigev_notify ({@link #SIGNAL}, {@link #NONE}, {@link #THREAD}, or
 *                    another value the kernel refuses with EINVAL), or {@link #REMOVE} for a NULL notification
 * @param signo       sigev_signo (the signal for SIGNAL; the netlink socket for THREAD, as glibc implements it)
 * @param readError   0, or the errno of a notification that could not be read from user memory (tracepoint set)
 * @param returnValue 0, or -errno (EBUSY: another process is registered)
 * @param queue       the queue the descriptor names, or null
 */
public record MqNotifyEvent(long bootTimeNs, AttachMode probe, Caller caller, int mqdes, int kind, int signo, int readError,
                            long returnValue, MqOpenEvent.Queue queue, boolean queueUnlinked) implements QueueEvent {
    public static final int SIGNAL = 0, NONE = 1, THREAD = 2, REMOVE = -1;

    /** "signal", "none", "thread", "remove", or the number. */
    public String kindLabel() {
        return switch (kind) {
            case SIGNAL -> "signal";
            case NONE -> "none";
            case THREAD -> "thread";
            case REMOVE -> "remove";
            default -> Integer.toString(kind);
        };
    }
}
