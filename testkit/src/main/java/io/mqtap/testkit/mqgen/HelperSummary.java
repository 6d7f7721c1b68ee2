package io.mqtap.testkit.mqgen;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** The one line a {@code quiet} step prints: how many calls it made and how they ended. */
@JsonIgnoreProperties("summary") // the marker that tells it from a call line
public record HelperSummary(long pid, long calls, long ok, long failed) {}
