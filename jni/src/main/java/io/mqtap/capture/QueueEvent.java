package io.mqtap.capture;

/**
 * One call on a POSIX message queue, as the probe delivered it through its buffer: an open ({@link MqOpenEvent}),
 * an unlink, a notify, a getsetattr, or (access mode per call) a send or receive; a record of a call type this build
 * does not know is an {@link UnknownCallEvent}.
 */
public sealed interface QueueEvent permits MqOpenEvent, MqUnlinkEvent, MqTransferEvent, MqNotifyEvent, MqSetAttrEvent,
        UnknownCallEvent {
    /** Kernel time of the call (at its exit for the calls after the open), ns since boot. */
    long bootTimeNs();

    /** The hook set that saw it. */
    AttachMode probe();

    /** What the call returned: a descriptor, a size, 0, or -errno. */
    long returnValue();

    /** Who made it. */
    Caller caller();
}
