package io.mqtap.capture;

/** Why one hook set could not be used: its mode, the errno, and a message naming the operation. */
public record AttachFailure(AttachMode mode, int errno, String message) {
    @Override
    public String toString() {
        return mode.label() + " failed: " + message;
    }
}
