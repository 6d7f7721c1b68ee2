package io.mqtap.producer.health;

import com.codahale.metrics.health.HealthCheck;
import java.util.function.LongSupplier;

/** Fails when the share of events lost in the kernel buffer since the previous check is above the threshold. */
public final class KernelLossHealthCheck extends HealthCheck {
    private final LongSupplier captured;
    private final LongSupplier lost;
    private final java.util.function.DoubleSupplier maxRatio;
    private long lastCaptured;
    private long lastLost;

    public KernelLossHealthCheck(LongSupplier captured, LongSupplier lost, double maxRatio) {
        this(captured, lost, () -> maxRatio);
    }

    /** With the threshold read at each check (a reload may change it). */
    public KernelLossHealthCheck(LongSupplier captured, LongSupplier lost, java.util.function.DoubleSupplier maxRatio) {
        this.captured = captured;
        this.lost = lost;
        this.maxRatio = maxRatio;
    }

    @Override
    protected synchronized Result check() {
        long c = captured.getAsLong();
        long l = lost.getAsLong();
        long dc = c - lastCaptured;
        long dl = l - lastLost;
        lastCaptured = c;
        lastLost = l;
        double ratio = dc + dl == 0 ? 0 : (double) dl / (dc + dl);
        double maxRatio = this.maxRatio.getAsDouble();
        String detail = String.format("%d of %d events lost in the kernel buffer since the last check (%.2f%%, limit %.2f%%)",
                dl, dc + dl, ratio * 100, maxRatio * 100);
        return ratio > maxRatio ? Result.unhealthy(detail + ": enlarge capture.perCpuPages or lower capture.wakeupBytes") : Result.healthy(detail);
    }
}
