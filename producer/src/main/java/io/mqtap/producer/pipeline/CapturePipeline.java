package io.mqtap.producer.pipeline;

import io.dropwizard.lifecycle.Managed;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.avro.PreviousRun;
import io.mqtap.avro.UidSuppression;
import io.mqtap.capture.ProbeCounters;
import io.mqtap.capture.ProbeException;
import io.mqtap.producer.capture.CaptureReader;
import io.mqtap.producer.capture.EventSource;
import io.mqtap.producer.capture.Suppression;
import io.mqtap.producer.core.BootClock;
import io.mqtap.producer.core.HostIdentity;
import io.mqtap.producer.core.QueueLifeMapper;
import io.mqtap.producer.core.NameHmac;
import io.mqtap.producer.core.Workloads;
import io.mqtap.producer.health.KernelLossWindow;
import io.mqtap.producer.health.ProbeHealthCheck;
import io.mqtap.producer.kafka.DeliveryErrors;
import io.mqtap.producer.kafka.ProducerThrottle;
import io.mqtap.producer.kafka.Publisher;
import io.mqtap.producer.kafka.RecordBodies;
import io.mqtap.producer.kafka.SchemaGate;
import io.mqtap.producer.metrics.PipelineMetrics;
import io.mqtap.producer.spool.DiskSpool;
import io.mqtap.producer.spool.RunMarker;
import io.mqtap.producer.stats.StatsReporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole producer pipeline as one lifecycle: kernel probe -> reader thread -> hand-off -> spooler thread ->
 * disk spool -> publisher thread -> Kafka, plus the periodic stats record. It attaches before it talks to Kafka or
 * the registry, so capture starts at once and records wait in the spool. Stopping detaches the probe, drains,
 * spools and publishes; what Kafka has not acknowledged when shutdownTimeout is up stays in the spool.
 */
public final class CapturePipeline implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(CapturePipeline.class);

    /** Opens (loads and attaches) the event source; called at start. */
    @FunctionalInterface
    public interface SourceOpener {
        EventSource open() throws ProbeException;
    }

    /**
     * Everything the pipeline is built from. {@code ids} gives the records' schema ids, {@code statsSerializer} frames
     * the stats records (both through the registry); {@code readiness} checks Kafka (topics, durability) before the
     * first send; {@code workloads} names containers and pods from the events' cgroups.
     */
    public record Parts(HostIdentity host, SourceOpener opener, Producer<byte[], byte[]> producer, Publisher.Topics topics, String statsTopic,
                        SchemaGate schema, Publisher.SchemaIds ids, Function<MqOpenStats, byte[]> statsSerializer,
                        Publisher.Readiness readiness,
                        DiskSpool.Options spool, int handoffCapacity, OverflowPolicy overflow, int batchEvents, int drainMillis,
                        Duration accessWindow, Duration statsInterval, Duration shutdownTimeout, NameHmac nameHmac, Workloads workloads) {}

    private final Parts parts;
    private final PipelineMetrics metrics;
    private final BootClock clock = new BootClock();
    private volatile Suppression suppression;
    private final DeliveryErrors errors = new DeliveryErrors();
    private final Handoff handoff;
    private final KernelLossWindow lossWindow;
    private DiskSpool spool;
    private volatile EventSource source;
    private volatile CaptureReader reader;
    private Spooler spooler;
    private volatile Publisher publisher;
    private PreviousRun previousRun;
    private io.mqtap.producer.capture.RingPositions ring;
    private volatile Thread readerThread;
    private volatile Thread spoolerThread;
    private volatile Thread publisherThread;
    private ScheduledExecutorService scheduler;
    private StatsReporter stats;
    private volatile String probeProblem = "not started";
    private volatile boolean stopping;
    /** Why a pipeline thread ended on its own (a stop was not asked for), or null. */
    private final AtomicReference<String> readerEnded = new AtomicReference<>();
    private final AtomicReference<String> publisherEnded = new AtomicReference<>();
    private volatile Consumer<String> onFatal = why -> { };

    public CapturePipeline(Parts parts, PipelineMetrics metrics) {
        this.parts = parts;
        this.metrics = metrics;
        this.handoff = new Handoff(parts.handoffCapacity(), parts.overflow(), metrics);
        metrics.gauge("handoff.depth", handoff::depth);
        metrics.gauge("lost.kernel", this::lostKernel);
        // each way of loss in the kernel apart (together: lost.kernel), and what the filters left out
        for (String way : List.of("output", "entryDropped", "entrySkipped", "exitMissed", "openExitMisses", "taskExitMisses", "callMisses"))
            metrics.gauge("lost.kernel." + way, () -> kernelCounter(c -> c.losses().get(way)));
        // records the reader could not make into a published record (an unknown call type): skipped, counted
        metrics.gauge("lost.kernel.unreadable", this::unreadable);
        metrics.gauge("filtered", () -> kernelCounter(ProbeCounters::filtered));
        // aggregated send/receive keys published without their caller's details (the window's snapshot map was full)
        metrics.gauge("access.noContext", () -> kernelCounter(ProbeCounters::accessNoContext));
        metrics.gauge("inflight", this::inFlight);
        metrics.gauge("sequence", this::lastSequence);
        metrics.gauge("spool.bytes", () -> spool == null ? 0 : spool.bytes());
        metrics.gauge("spool.records", () -> spool == null ? 0 : spool.records());
        metrics.gauge("spool.maxBytes", () -> parts.spool().maxBytes());
        metrics.gauge("spool.dropped", () -> spool == null ? 0 : spool.dropped());
        // the loss-point family (mqtap_events_lost_total{stage="spool"} on /prometheus)
        metrics.gauge("lost.spool", () -> spool == null ? 0 : spool.dropped());
        metrics.gauge("spool.corrupt", () -> spool == null ? 0 : spool.recovered().corruptRecords());
        // a broker quota holding this host back (records wait in the spool: delayed, not lost), mqtap_kafka_throttle_ms
        metrics.gauge("kafka.throttleMs", () -> ProducerThrottle.maxMillis(parts.producer()));
        lossWindow = new KernelLossWindow(metrics.captured::getCount, this::lostKernel, 60);
    }

    /** What to do when a pipeline thread ends without a stop (the service exits, for a restart). */
    public CapturePipeline onFatal(Consumer<String> action) {
        onFatal = action;
        return this;
    }

    /** Opens the spool, attaches the probe, starts the threads; Kafka and the registry are first called by the publisher. */
    @Override
    public void start() throws ProbeException, IOException {
        spool = DiskSpool.open(parts.spool(), parts.host().runId(), RecordBodies.WRITER_SCHEMA);
        RunMarker before = RunMarker.read(parts.spool().dir());
        try {
            source = parts.opener().open();
        } catch (ProbeException | RuntimeException e) {
            spool.close();
            throw e;
        }
        previousRun = PreviousRuns.of(before, spool.recovered(), clock.toEpochMicros(clock.nowBootNs()), source.pinReport());
        announcePin(source.pinReport());
        RunMarker.started(parts.host().runId()).write(parts.spool().dir());
        if (previousRun != null) {
            LOG.info("The previous run {} ended {}; its last record in the spool: sequence {}{}", previousRun.getRunId(),
                    previousRun.getClean() ? "cleanly" : "without a clean stop (crash, SIGKILL or power loss)",
                    previousRun.getLastSequence(), previousRun.getGapCaptured()
                            ? "; its pinned probe kept capturing until this run took it over: no blind window"
                            : previousRun.getBlindWindowMs() != null
                            ? "; no probe was attached for " + previousRun.getBlindWindowMs() + " ms"
                            : previousRun.getSinceLastEventMs() != null
                            ? "; " + previousRun.getSinceLastEventMs() + " ms since its last record" : "");
        }
        probeProblem = null;
        reader = new CaptureReader(source, new QueueLifeMapper(parts.host(), clock, parts.workloads(), parts.nameHmac()), handoff, metrics,
                parts.batchEvents(), parts.drainMillis(), parts.accessWindow().toMillis());
        if (source.ringId() >= 0) reader.commitAfterSpool(ringPositions(), () -> spooler.lastHandled());
        spooler = new Spooler(handoff, spool, parts.host().machineId().getBytes(StandardCharsets.UTF_8), metrics);
        publisher = new Publisher(parts.producer(), parts.topics(), parts.host().runId(), spool, metrics, errors, clock, parts.schema(),
                parts.ids(), parts.readiness());
        CaptureReader rd = reader;
        publisherThread = start(() -> watched(publisher, publisherEnded, "the Kafka publisher thread", () -> null), "mqtap-publisher");
        // the spooler ends, normally, after the reader's end marker: only an exception of its own is news
        spoolerThread = start(() -> watched(spooler, readerEnded, "the spooler thread", null), "mqtap-spooler");
        readerThread = start(() -> watched(rd, readerEnded, "the capture reader thread", rd::failure), "mqtap-reader");
        EventSource src = source;
        // mqtap_suppressed_total{uid}: a label per uid up to Suppression.MAX_LABELS, the rest as uid="other"
        suppression = new Suppression(src::fairAccounts,
                uid -> metrics.gauge("suppressed." + uid, () -> suppression.suppressed(uid)));
        metrics.gauge("suppressed.other", () -> suppression.suppressedOther());
        stats = new StatsReporter(parts.producer(), parts.statsTopic(), parts.host(), parts.statsInterval().toMillis(), this::counters,
                parts.statsSerializer(), previousRun, this::suppressedByUid);
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "mqtap-stats"));
        long every = parts.statsInterval().toMillis();
        scheduler.scheduleAtFixedRate(this::tick, every, every, TimeUnit.MILLISECONDS);
        scheduler.scheduleAtFixedRate(lossWindow::sample, 0, 1, TimeUnit.SECONDS);
        // operators and tests wait for this line's start ("Capturing mq_open with the <mode> probe")
        LOG.info("Capturing mq_open with the {} probe; publishing to {} (the other calls of a queue's life to a topic per "
                + "record type) as run {}", source.probe(), parts.topics().of(io.mqtap.avro.MqOpen.getClassSchema().getFullName()),
                parts.host().runId());
    }

    /**
     * capture.pinPath: the file of where each batch ended in the pinned ring. After a take-over the ring is read from
     * just past the previous run's last spooled record (a killed run had read further than it committed).
     */
    private io.mqtap.producer.capture.RingPositions ringPositions() throws IOException {
        ring = io.mqtap.producer.capture.RingPositions.open(parts.spool().dir());
        io.mqtap.capture.PinReport pin = source.pinReport();
        if (pin != null && pin.gapCovered() && previousRun != null && previousRun.getLastSequence() >= 0) {
            long at = ring.after(source.ringId(), previousRun.getRunId(), previousRun.getLastSequence());
            if (at >= 0) {
                source.resume(at);
                LOG.info("capture.pinPath: the pinned ring is read from just past the previous run's last spooled record "
                        + "(sequence {})", previousRun.getLastSequence());
            }
        }
        ring.begin(source.ringId(), parts.host().runId());
        return ring;
    }

    /** What capture.pinPath found: said once at start, as operators check a restart by it. */
    private static void announcePin(io.mqtap.capture.PinReport pin) {
        if (pin == null) return;
        switch (pin.state()) {
            case FRESH -> LOG.info("capture.pinPath: nothing was pinned; this run's probe is pinned (generation {}) and "
                    + "keeps capturing across a restart", pin.generation());
            case TAKEN_OVER -> LOG.info("capture.pinPath: took over the pinned probe (generation {}) as it runs: what it caught "
                    + "while no mqtap ran is published first", pin.generation());
            case REPLACED -> LOG.warn("capture.pinPath: the pinned probe (generation {}) was of another build or other "
                    + "load-time settings: replaced, {} events it held counted lost (lostOutput)", pin.previousGeneration(),
                    pin.discarded());
            case UNSUPPORTED -> LOG.warn("{}", pin.why());
            default -> { }
        }
    }

    /**
     * Runs a pipeline thread; when it ends and no stop was asked for, that is fatal: health fails and onFatal runs.
     * {@code failure} (null: ending normally is not news) says why it ended.
     */
    private void watched(Runnable body, AtomicReference<String> ended, String what, Supplier<Throwable> failure) {
        Throwable thrown = null;
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            thrown = e;
            throw e;
        } finally {
            boolean news = thrown != null || failure != null;
            if (news && !stopping && readerEnded.get() == null && publisherEnded.get() == null) {
                Throwable why = thrown != null ? thrown : failure.get();
                String text = what + " stopped" + (why == null ? " unexpectedly" : ": " + why);
                ended.set(text);
                LOG.error("{}; mqtap cannot go on capturing and publishing, so it exits (the service manager restarts it)", text);
                onFatal.accept(text);
            }
        }
    }

    private void tick() {
        clock.resync();
        // no stats before the schemas are registered: their serializer would fail the same way
        if (parts.schema().registered()) stats.report();
    }

    /**
     * Detaches the probe, drains the kernel buffer, spools and publishes what was captured and waits for Kafka's
     * acknowledgements, all within {@code shutdownTimeout}; what Kafka has not acknowledged by then stays in the spool
     * for the next run. The last stats record is sent once nothing can change its counts any more.
     */
    @Override
    public void stop() throws InterruptedException, IOException {
        if (reader == null) return;
        stopping = true;
        long t0 = System.nanoTime();
        long timeout = parts.shutdownTimeout().toNanos();
        // the last part of the timeout is kept for the final stats record and closing
        long reserve = Math.min(TimeUnit.SECONDS.toNanos(3), timeout / 4);
        long deadline = t0 + timeout - reserve;
        reader.stop();
        long detachedMicros = clock.toEpochMicros(clock.nowBootNs());
        probeProblem = "detached (stopping)";
        readerThread.join(remainingMillis(deadline));
        spoolerThread.join(remainingMillis(deadline));
        boolean allAcknowledged = awaitAcknowledged(deadline);
        if (spoolerThread.isAlive()) {
            // the spool stayed full until the end: what the spooler still holds is counted as failed
            spooler.abort();
            spoolerThread.join(remainingMillis(t0 + timeout));
        }
        publisher.abort();
        if (!allAcknowledged) parts.producer().close(Duration.ZERO); // ends a send blocked on Kafka; the rest stays spooled
        publisherThread.join(remainingMillis(t0 + timeout));
        readerThread.join(remainingMillis(t0 + timeout));
        scheduler.shutdown();
        if (!scheduler.awaitTermination(remainingMillis(t0 + timeout), TimeUnit.MILLISECONDS)) scheduler.shutdownNow();
        if (allAcknowledged && parts.schema().registered()) stats.report();
        parts.producer().close(Duration.ofMillis(remainingMillis(t0 + timeout)));
        long left = spool.records();
        if (!spoolerThread.isAlive()) {
            // a clean end: the next run reads where this one stopped, and for how long nothing was attached
            new RunMarker(parts.host().runId(), true, spooler.lastSequence(), spooler.lastTimestampMicros(), detachedMicros)
                    .write(parts.spool().dir());
        }
        // the last batches' ring positions, now that the spooler has them: a pinned ring is not read again from there
        if (ring != null && !spoolerThread.isAlive() && !readerThread.isAlive()) reader.commitSpooled();
        spool.close();
        source.close();
        if (ring != null) ring.close();
        StatsReporter.Counters c = counters();
        LOG.info("Stopped in {} ms: captured {}, published {}, failed {}, dropped {}, lost in kernel {}, last sequence {}, "
                        + "left in the spool {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), c.captured(), c.published(),
                c.failed(), c.dropped(), c.lostKernel(), c.sequence(), left);
    }

    /** Waits until the spooler is done and Kafka acknowledged everything in the spool; false when the deadline came first. */
    private boolean awaitAcknowledged(long deadlineNanos) throws InterruptedException {
        while (spoolerThread.isAlive() || spool.records() > 0 || publisher.inFlight() > 0) {
            if (System.nanoTime() >= deadlineNanos || !publisherThread.isAlive()) return false;
            Thread.sleep(5);
        }
        return true;
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    /** Replaces the probe's filters in the kernel while it stays attached (a configuration reload). */
    public void updateFilters(io.mqtap.capture.ProbeOptions filters) throws ProbeException {
        EventSource s = source;
        if (s == null) throw new IllegalStateException("the pipeline has not started");
        s.updateFilters(filters);
    }

    /** Replaces the per-user fairness budget in the kernel while the probe stays attached (a configuration reload). */
    public void updateFairness(io.mqtap.capture.ProbeOptions fairness) {
        EventSource s = source;
        if (s == null) throw new IllegalStateException("the pipeline has not started");
        s.updateFairness(fairness);
    }

    /** Per uid, what fairness suppressed and the buffer lost, for the uids that moved since the previous stats record. */
    private List<UidSuppression> suppressedByUid() {
        Suppression s = suppression;
        if (s == null) return List.of();
        List<UidSuppression> byUid = new ArrayList<>();
        for (Suppression.Entry e : s.changed())
            byUid.add(new UidSuppression(e.uid(), e.suppressed(), e.lost(), wallClock(e.firstBootNanos()), wallClock(e.lastBootNanos())));
        return byUid;
    }

    private Instant wallClock(long bootNs) {
        long us = clock.toEpochMicros(bootNs);
        return Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * 1_000L);
    }

    /** True while the reader, spooler and publisher threads run (the systemd watchdog's keep-alive condition). */
    public boolean alive() {
        Thread r = readerThread, s = spoolerThread, p = publisherThread;
        return r != null && s != null && p != null && r.isAlive() && s.isAlive() && p.isAlive();
    }

    public ProbeHealthCheck.State probeState() {
        String ended = readerEnded.get();
        if (ended != null) return new ProbeHealthCheck.State(false, ended);
        String p = probeProblem;
        return p == null ? new ProbeHealthCheck.State(true, source.probe()) : new ProbeHealthCheck.State(false, p);
    }

    /** Cumulative counters of this run, as the stats record carries them. */
    public StatsReporter.Counters counters() {
        return new StatsReporter.Counters(source == null ? "none" : source.probe(),
                source == null ? "" : source.probeFeatures(), metrics.captured.getCount(), lostKernel(),
                metrics.dropped.getCount() + (spool == null ? 0 : spool.dropped()), metrics.published.getCount(),
                metrics.failed.getCount(), inFlight(), lastSequence(), source == null ? null : source.counters(), unreadable());
    }

    /** Every call the probe saw that no record will carry: the kernel's own count, plus the records the reader skipped. */
    public long lostKernel() {
        return (source == null ? 0 : source.lostKernel()) + unreadable();
    }

    public long unreadable() {
        CaptureReader r = reader;
        return r == null ? 0 : r.unreadable();
    }

    private long kernelCounter(java.util.function.ToLongFunction<ProbeCounters> which) {
        ProbeCounters c = source == null ? null : source.counters();
        return c == null ? 0 : which.applyAsLong(c);
    }

    public long lastSequence() {
        return reader == null ? -1 : reader.lastSequence();
    }

    public long inFlight() {
        Publisher p = publisher;
        return p == null ? 0 : p.inFlight();
    }

    public HostIdentity host() {
        return parts.host();
    }

    /** The publisher, or null before the start. */
    public Publisher publisher() {
        return publisher;
    }

    /** How the previous run on this spool ended, or null (none, or no trace of it). */
    public PreviousRun previousRun() {
        return previousRun;
    }

    /** The disk spool, or null before the start. */
    public DiskSpool spool() {
        return spool;
    }

    /** Why the publisher thread ended on its own, or null while it runs (or after a stop asked it to end). */
    public String publisherEnded() {
        return publisherEnded.get();
    }

    public KernelLossWindow lossWindow() {
        return lossWindow;
    }

    public DeliveryErrors errors() {
        return errors;
    }

    public BootClock clock() {
        return clock;
    }

    private static Thread start(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.start();
        return t;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
