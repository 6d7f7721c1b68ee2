package io.mqtap.bench.fleet;

import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import net.sourceforge.argparse4j.inf.ArgumentParser;
import net.sourceforge.argparse4j.inf.Namespace;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;

/**
 * The fleet bench's quota run ({@code --quota-bytes-per-sec B --runaway-hosts K}): the cluster gets Kafka's default
 * client-id quota (one entry that gives every client id, so every host, its own budget of B produce bytes/s: what an
 * operator sets for 10,000 hosts, instead of 10,000 entries), and the first K hosts run away (a fixed high rate for a
 * while, far above B). It watches every host's throttle time (the producer's own metric, as mqtap_kafka_throttle_ms
 * shows it) and the runaways' Kafka health check, and reports both groups' latency and throttle beside the fleet line.
 */
final class FleetQuota {
    /** A runaway's records must fit its spool (8 MiB in FleetHost, ~300 bytes a record): a full spool blocks the feeder of every host. */
    private static final long MAX_RUNAWAY_RECORDS = 25_000;
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30); // the producer's thresholds.ackTimeout default

    private final long quotaBytesPerSec;
    private final int runaways;
    private final double runawayRate;
    private final int runawaySeconds;
    private final int warmupSeconds;
    private ScheduledExecutorService sampler;
    /** Set when the restart storm starts: a host restarting is "not started" for a moment, which is not the quota's doing. */
    private volatile boolean storm;
    // the watch's findings, under this object's lock
    private long runawayThrottleMax, othersThrottleMax, runawaySpoolPeak, runawayChecks, runawayUnhealthy;
    private String lastUnhealthy;
    private final Set<Integer> throttledOthers = new HashSet<>(), throttledRunaways = new HashSet<>();

    private FleetQuota(long quotaBytesPerSec, int runaways, double runawayRate, int runawaySeconds, int warmupSeconds) {
        this.quotaBytesPerSec = quotaBytesPerSec;
        this.runaways = runaways;
        this.runawayRate = runawayRate;
        this.runawaySeconds = runawaySeconds;
        this.warmupSeconds = warmupSeconds;
    }

    static void addArguments(ArgumentParser p) {
        p.addArgument("--quota-bytes-per-sec").type(Long.class).setDefault(0L)
                .help("Kafka's default client-id quota, producer_byte_rate: every host's own budget, bytes/s (default 0: no quota)");
        p.addArgument("--runaway-hosts").type(Integer.class).setDefault(0).help("hosts that run away, the first K (default 0)");
        p.addArgument("--runaway-rate").type(Double.class).setDefault(2_000.0).help("a runaway's events/s while it runs away (default 2000)");
        p.addArgument("--runaway-seconds").type(Integer.class).setDefault(10)
                .help("how long the runaways run away, from the start of the steady state (default 10)");
    }

    /** From the command line; {@code warmupSeconds}: when the steady state starts, counted from the first feed. */
    static FleetQuota of(Namespace ns, int hosts, int warmupSeconds) {
        FleetQuota q = new FleetQuota(ns.getLong("quota_bytes_per_sec"), ns.getInt("runaway_hosts"), ns.getDouble("runaway_rate"),
                ns.getInt("runaway_seconds"), warmupSeconds);
        if (q.quotaBytesPerSec < 0) throw new IllegalArgumentException("--quota-bytes-per-sec must be 0 (none) or more");
        if (q.runaways < 0 || q.runaways > hosts) throw new IllegalArgumentException("--runaway-hosts must be 0.." + hosts);
        if (q.runaways > 0 && q.runawayRate * q.runawaySeconds > MAX_RUNAWAY_RECORDS) {
            throw new IllegalArgumentException("--runaway-rate x --runaway-seconds must stay under " + MAX_RUNAWAY_RECORDS
                    + " records: a runaway's 8 MiB spool would fill and block the feeder of every host");
        }
        return q;
    }

    boolean active() {
        return quotaBytesPerSec > 0 || runaways > 0;
    }

    boolean runaway(int host) {
        return host < runaways;
    }

    /** Sets the default client-id quota on the cluster and reads it back. */
    void apply(Admin admin) throws Exception {
        if (quotaBytesPerSec == 0) return;
        ClientQuotaEntity everyClient = new ClientQuotaEntity(Collections.singletonMap(ClientQuotaEntity.CLIENT_ID, null));
        admin.alterClientQuotas(List.of(new ClientQuotaAlteration(everyClient,
                List.of(new ClientQuotaAlteration.Op("producer_byte_rate", (double) quotaBytesPerSec))))).all().get(30, TimeUnit.SECONDS);
        // a broker answers from its copy of the metadata, which takes a moment to catch up with the controller
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Map<ClientQuotaEntity, Map<String, Double>> set = admin.describeClientQuotas(ClientQuotaFilter.all()).entities().get(30, TimeUnit.SECONDS);
            if (Map.of("producer_byte_rate", (double) quotaBytesPerSec).equals(set.get(everyClient))) return;
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the cluster holds the quotas " + set + ", not the default client-id quota asked for");
            }
            Thread.sleep(200);
        }
    }

    /** Host {@code i}'s rate at {@code second} of the feed: a runaway's while it runs away, else the fleet's. */
    double rate(int i, long second, double fleetRate) {
        boolean away = runaway(i) && second >= warmupSeconds && second < warmupSeconds + runawaySeconds;
        return away ? runawayRate : fleetRate;
    }

    /** The runaways' machine ids, for the read-back to keep their latencies apart. */
    Set<String> runawayIds(List<FleetHost> hosts) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < runaways; i++) ids.add(hosts.get(i).machineId());
        return ids;
    }

    /** Watches every host twice a second until {@link #stop()}: throttle times, the runaways' spool and health. */
    void watch(List<FleetHost> hosts) {
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fleet-quota-watch");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(() -> sample(hosts), 0, 500, TimeUnit.MILLISECONDS);
    }

    private void sample(List<FleetHost> hosts) {
        for (int i = 0; i < hosts.size(); i++) {
            FleetHost h = hosts.get(i);
            long throttle = h.throttleMillis();
            if (runaway(i)) {
                var health = storm ? null : h.health(ACK_TIMEOUT); // null while the host restarts
                long spooled = h.spooled();
                synchronized (this) {
                    runawayThrottleMax = Math.max(runawayThrottleMax, throttle);
                    if (throttle > 0) throttledRunaways.add(i);
                    runawaySpoolPeak = Math.max(runawaySpoolPeak, spooled);
                    if (health != null) {
                        runawayChecks++;
                        if (!health.isHealthy()) {
                            runawayUnhealthy++;
                            lastUnhealthy = health.getMessage();
                        }
                    }
                }
            } else {
                synchronized (this) {
                    othersThrottleMax = Math.max(othersThrottleMax, throttle);
                    if (throttle > 0) throttledOthers.add(i);
                }
            }
        }
    }

    /** From now on the runaways' health is not sampled (hosts restart); their throttle still is. */
    void stormStarts() {
        storm = true;
    }

    void stop() throws InterruptedException {
        if (sampler == null) return;
        sampler.shutdown();
        sampler.awaitTermination(10, TimeUnit.SECONDS);
    }

    /** The quota line (printed just before the fleet line); {@code made}/{@code lost}: the runaways' records and those not read back. */
    synchronized String line(List<FleetHost> hosts, FleetReadBack readBack, long made, long lost) {
        double bytes = 0;
        for (int i = 0; i < runaways; i++) bytes += hosts.get(i).total("outgoing-byte-total");
        return String.format("quota bytes-per-sec=%d entity=client-id-default runaway-hosts=%d runaway-rate=%.0f runaway-seconds=%d "
                        + "runaway-bytes-sent-per-host=%.0f runaway-events=%d runaway-lost=%d runaway-p99-ms=%d others-p99-ms=%d "
                        + "others-steady-p50-ms=%d others-steady-p99-ms=%d runaway-throttle-max-ms=%d others-throttle-max-ms=%d runaways-throttled=%d others-throttled=%d "
                        + "runaway-spool-peak=%d runaway-unhealthy-checks-before-storm=%d/%d",
                quotaBytesPerSec, runaways, runawayRate, runawaySeconds, runaways == 0 ? 0 : bytes / runaways, made, lost,
                readBack.latencyQuantile(0.99, true), readBack.latencyQuantile(0.99, false),
                readBack.othersSteadyQuantile(0.50), readBack.othersSteadyQuantile(0.99), runawayThrottleMax, othersThrottleMax,
                throttledRunaways.size(), throttledOthers.size(), runawaySpoolPeak, runawayUnhealthy, runawayChecks);
    }

    /** Why a runaway's Kafka check last failed, or null. */
    synchronized String lastUnhealthy() {
        return lastUnhealthy;
    }
}
