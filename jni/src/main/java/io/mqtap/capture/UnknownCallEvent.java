package io.mqtap.capture;

/**
 * A record whose call type ({@code api}) this build does not know: a probe object newer than the Java side, or a
 * record the kernel wrote oddly. Kept as what can be read of it whatever the call was, so a reader can count and
 * name it instead of stopping; nothing else of it is trusted.
 *
 * @param api the record's {@code api} byte as the kernel wrote it
 */
public record UnknownCallEvent(long bootTimeNs, AttachMode probe, Caller caller, long returnValue, int api)
        implements QueueEvent {}
