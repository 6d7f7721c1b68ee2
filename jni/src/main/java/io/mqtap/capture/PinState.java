package io.mqtap.capture;

/** What {@link ProbeOptions#pinPath()} found and did at attach (ordinals match mqtap_pin.h). */
public enum PinState {
    /** No pin path: the programs end with the probe. */
    OFF,
    /** Nothing was pinned there: this probe pinned its own maps and links. */
    FRESH,
    /** The previous run's programs and maps were taken over: what they caught while no reader ran is drained now. */
    TAKEN_OVER,
    /** A run of another build or other load-time settings was pinned: replaced, its unread events counted lost. */
    REPLACED,
    /** This kernel can't pin every link (perf-event links need Linux 5.15): running unpinned. */
    UNSUPPORTED
}
