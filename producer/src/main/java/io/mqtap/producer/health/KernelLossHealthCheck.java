package io.mqtap.producer.health;

import com.codahale.metrics.health.HealthCheck;
import java.util.function.DoubleSupplier;

/** Fails when the share of events lost in the kernel buffer over the last minute is above the threshold. */
public final class KernelLossHealthCheck extends HealthCheck {
    private final KernelLossWindow window;
    private final DoubleSupplier maxRatio;

    public KernelLossHealthCheck(KernelLossWindow window, double maxRatio) {
        this(window, () -> maxRatio);
    }

    /** With the threshold read at each check (a reload may change it). */
    public KernelLossHealthCheck(KernelLossWindow window, DoubleSupplier maxRatio) {
        this.window = window;
        this.maxRatio = maxRatio;
    }

    @Override
    protected Result check() {
        KernelLossWindow.Delta d = window.lastWindow();
        long total = d.captured() + d.lost();
        double ratio = total == 0 ? 0 : (double) d.lost() / total;
        double maxRatio = this.maxRatio.getAsDouble();
        String detail = String.format("%d of %d events lost in the kernel buffer in the last %d s (%.2f%%, limit %.2f%%)",
                d.lost(), total, d.seconds(), ratio * 100, maxRatio * 100);
        return ratio > maxRatio ? Result.unhealthy(detail + ": enlarge capture.perCpuPages or lower capture.wakeupBytes") : Result.healthy(detail);
    }
}
