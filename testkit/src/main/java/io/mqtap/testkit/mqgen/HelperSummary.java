package io.mqtap.testkit.mqgen;

/** The one line a {@code quiet} step prints: how many calls it made and how they ended. */
public record HelperSummary(long pid, long calls, long ok, long failed) {}
