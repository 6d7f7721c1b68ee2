package io.mqtap.capture;

/**
 * One mq_timedsend or mq_timedreceive (access mode per call).
 *
 * @param send          true for a send, false for a receive
 * @param mqdes         the descriptor the call used
 * @param msgLen        send: the message's length; receive: the caller's buffer length (the size received is
 *                      returnValue)
 * @param priority      send: the priority given; receive: the priority of the message received, read back from the
 *                      caller's memory, or null (no pointer given, the call failed, or unreadable)
 * @param timeout       a timeout was given (mq_timedsend/receive with an abs_timeout; plain mq_send/receive give none)
 * @param returnValue   send: 0; receive: the message's size; or -errno
 * @param queue         the queue the descriptor names (resolved at exit), or null: not a queue's descriptor
 * @param queueUnlinked the queue's name had been removed (its inode had no link left) when the call ran
 */
public record MqTransferEvent(long bootTimeNs, AttachMode probe, Caller caller, boolean send, int mqdes, long msgLen, Long priority,
                              boolean timeout, long returnValue, MqOpenEvent.Queue queue, boolean queueUnlinked) implements QueueEvent {

    /** The bytes moved: the message's length for a successful send, the size received, 0 for a failure. */
    public long bytes() {
        return returnValue < 0 ? 0 : send ? msgLen : returnValue;
    }
}
