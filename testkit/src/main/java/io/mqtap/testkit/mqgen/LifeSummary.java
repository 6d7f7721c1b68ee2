package io.mqtap.testkit.mqgen;

import java.util.Map;

/**
 * What a repeated quiet step (or a transfer) of mq_life_helper did in sum: {@code calls} made, {@code ok} succeeded,
 * {@code bytes} moved by them, the smallest and largest message ({@code -1} when none succeeded), failures by errno
 * name, and for a transfer the time the sends took.
 */
public record LifeSummary(boolean summary, int seq, String call, long pid, long tid, int fd, long calls, long ok, long bytes, long min,
                          long max, Map<String, Long> errors, long elapsedNs) {}
