package io.mqtap.producer.stats;

import io.mqtap.avro.MqOpenStats;
import io.mqtap.avro.PreviousRun;
import io.mqtap.avro.UidSuppression;
import io.mqtap.producer.core.HostIdentity;
import io.mqtap.capture.ProbeCounters;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code MqOpenStats} record per interval on the stats topic, so fleet monitoring can tell a quiet
 * host from a dead one and downstream can reconcile what it received with what was captured. Stats records are
 * not spooled: every one carries cumulative counters, so the next one makes up for one that was not delivered.
 */
public final class StatsReporter {
    private static final Logger LOG = LoggerFactory.getLogger(StatsReporter.class);

    /**
     * A snapshot of the pipeline's cumulative counters; {@code kernel} is the probe's own (each way of loss
     * apart), null where there is no probe.
     */
    public record Counters(String probe, String probeFeatures, long captured, long lostKernel, long dropped,
                           long published, long failed, long inFlight, long sequence, ProbeCounters kernel,
                           long unreadable) {}

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final HostIdentity host;
    private final long intervalMs;
    private final Supplier<Counters> counters;
    private final Function<MqOpenStats, byte[]> serializer;
    private final PreviousRun previousRun;
    private final Supplier<List<UidSuppression>> suppressedByUid;

    /**
     * previousRun: how the run before this one ended (null when unknown); every stats record of the run carries it.
     * suppressedByUid: per-user fairness, the uids whose suppressed or lost counts moved since the previous record.
     */
    public StatsReporter(Producer<byte[], byte[]> producer, String topic, HostIdentity host, long intervalMs,
                         Supplier<Counters> counters, Function<MqOpenStats, byte[]> serializer, PreviousRun previousRun,
                         Supplier<List<UidSuppression>> suppressedByUid) {
        this.producer = producer;
        this.topic = topic;
        this.host = host;
        this.intervalMs = intervalMs;
        this.counters = counters;
        this.serializer = serializer;
        this.previousRun = previousRun;
        this.suppressedByUid = suppressedByUid;
    }

    /** Sends one stats record now (scheduled every interval, and once more at stop). */
    public void report() {
        try {
            MqOpenStats s = toRecord(counters.get(), Instant.now());
            s.setSuppressedByUid(suppressedByUid.get());
            producer.send(new ProducerRecord<>(topic, host.machineId().getBytes(StandardCharsets.UTF_8), serializer.apply(s)), (md, e) -> {
                if (e != null) LOG.warn("Stats record not delivered: {}", e.toString());
            });
        } catch (RuntimeException e) {
            LOG.warn("Stats record not sent: {}", e.toString());
        }
    }

    MqOpenStats toRecord(Counters c, Instant now) {
        MqOpenStats s = new MqOpenStats();
        s.setHostname(host.hostname());
        s.setMachineId(host.machineId());
        s.setBootId(host.bootId());
        s.setRunId(host.runId());
        s.setTimestamp(now);
        s.setIntervalMs(intervalMs);
        s.setProbe(c.probe());
        s.setCaptured(c.captured());
        s.setLostKernel(c.lostKernel());
        s.setDropped(c.dropped());
        s.setPublished(c.published());
        s.setFailed(c.failed());
        s.setInFlight(c.inFlight());
        s.setSequence(c.sequence());
        s.setCluster(host.cluster());
        s.setProbeFeatures(c.probeFeatures());
        s.setPreviousRun(previousRun);
        s.setLostUnreadable(c.unreadable());
        ProbeCounters k = c.kernel();
        if (k != null) {
            Map<String, Long> lost = k.losses();
            s.setLostOutput(lost.get("output"));
            s.setLostEntryDropped(lost.get("entryDropped"));
            s.setLostEntrySkipped(lost.get("entrySkipped"));
            s.setLostExitMissed(lost.get("exitMissed"));
            s.setLostUnexamined(lost.get("openExitMisses") + lost.get("taskExitMisses"));
            s.setProgramMisses(known(Map.of("enter", k.missesEnter(), "exit", k.missesExit(), "openExit",
                    k.missesOpenExit(), "taskExit", k.missesTaskExit(), "create", k.missesCreate(), "calls", k.missesCalls())));
            s.setLinkMisses(known(Map.of("enter", k.linkMissesEnter(), "exit", k.linkMissesExit(), "openExit",
                    k.linkMissesOpenExit(), "create", k.linkMissesCreate(), "calls", k.linkMissesCalls())));
            s.setFiltered(k.filtered());
            s.setQueueUnresolved(k.queueUnresolved());
            s.setSuppressed(k.suppressed());
            // what the queue-life hooks missed: a way of loss in lostKernel, and its exact part; keys without a caller
            s.setLostCallMisses(lost.get("callMisses"));
            s.setLostCallArgsDropped(k.argsDropped());
            s.setAccessNoContext(k.accessNoContext());
        }
        return s;
    }

    /** The values the kernel reported (it says -1 where it does not), in a stable order. */
    private static Map<String, Long> known(Map<String, Long> byRole) {
        Map<String, Long> m = new TreeMap<>();
        byRole.forEach((role, v) -> {
            if (v >= 0) m.put(role, v);
        });
        return m;
    }
}
