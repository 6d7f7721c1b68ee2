package io.mqtap.capture;

/**
 * The pinning of an attached probe: its generation (runs of one pin path count up), the one it took over or
 * replaced (0: none), and the events counted lost from a replaced run (also in {@code lostKernel}).
 */
public record PinReport(PinState state, long generation, long previousGeneration, long discarded, String why) {
    public static final PinReport OFF = new PinReport(PinState.OFF, 0, 0, 0, "");

    /** The probe's programs and maps are pinned: a stop leaves them capturing for the next run. */
    public boolean pinned() {
        return state == PinState.FRESH || state == PinState.TAKEN_OVER || state == PinState.REPLACED;
    }

    /** The restart gap is covered: the previous run's programs kept capturing until this one took over. */
    public boolean gapCovered() {
        return state == PinState.TAKEN_OVER;
    }
}
