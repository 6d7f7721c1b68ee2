package io.mqtap.producer.health;

import io.dropwizard.lifecycle.Managed;
import io.mqtap.capture.Systemd;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The systemd side of the unit's {@code Type=notify} and {@code WatchdogSec=}: READY=1 once everything has
 * started, WATCHDOG=1 at half the watchdog interval for as long as the pipeline's threads are alive (a hung
 * or dead pipeline stops the pings, and systemd restarts the service), STOPPING=1 at stop. Outside systemd
 * it does nothing.
 */
public final class SystemdWatchdog implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(SystemdWatchdog.class);

    private final BooleanSupplier alive;
    private final Supplier<String> status;
    private ScheduledExecutorService pinger;
    private volatile boolean warned;

    public SystemdWatchdog(BooleanSupplier alive, Supplier<String> status) {
        this.alive = alive;
        this.status = status;
    }

    /** Called once the server (and with it every managed part) has started. */
    public void ready() {
        if (!Systemd.notifying()) return;
        Systemd.notify("READY=1\nSTATUS=" + status.get());
        long micros = Systemd.watchdogMicros();
        if (micros <= 0) return;
        pinger = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mqtap-watchdog");
            t.setDaemon(true);
            return t;
        });
        pinger.scheduleAtFixedRate(this::ping, 0, Math.max(1, micros / 2), TimeUnit.MICROSECONDS);
        LOG.info("systemd watchdog: a keep-alive every {} ms while the pipeline runs", micros / 2000);
    }

    private void ping() {
        try {
            if (alive.getAsBoolean()) {
                Systemd.notify("WATCHDOG=1");
            } else if (!warned) {
                warned = true;
                LOG.error("The capture pipeline's threads are not running: no more watchdog keep-alives, systemd will restart the service");
            }
        } catch (RuntimeException e) {
            LOG.warn("systemd watchdog keep-alive failed: {}", e.getMessage());
        }
    }

    @Override
    public void start() {
        // readiness comes from ready(), after the server has started
    }

    @Override
    public void stop() {
        if (pinger != null) pinger.shutdownNow();
        if (Systemd.notifying()) Systemd.notify("STOPPING=1");
    }
}
