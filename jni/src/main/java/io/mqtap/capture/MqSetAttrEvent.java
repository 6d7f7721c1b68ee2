package io.mqtap.capture;

/**
 * One mq_getsetattr (mq_getattr and mq_setattr in glibc).
 *
 * @param mqdes       the descriptor
 * @param newFlags    the mq_flags given (only O_NONBLOCK may be set), or null when only the attributes were asked for
 * @param old         the attributes before the call as the kernel returned them, or null (not asked for, or the call
 *                    failed)
 * @param readError   0, or the errno of an argument that could not be read from user memory (tracepoint set)
 * @param returnValue 0, or -errno
 * @param queue       the queue the descriptor names, or null
 */
public record MqSetAttrEvent(long bootTimeNs, AttachMode probe, Caller caller, int mqdes, Long newFlags, Attributes old,
                             int readError, long returnValue, MqOpenEvent.Queue queue, boolean queueUnlinked) implements QueueEvent {

    /** struct mq_attr. */
    public record Attributes(long flags, long maxmsg, long msgsize, long curmsgs) {}
}
