package io.mqtap.capture;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The mq_open probe: the BPF program loaded into the kernel, attached with one hook set, and the
 * buffer events arrive in. One reader thread calls {@link #drain}; {@link #counters()} and
 * {@link #detach()} may be called from any thread; {@link #close()} is idempotent and waits for a
 * drain in progress to return (it makes it return promptly).
 *
 * <pre>{@code
 * try (MqOpenProbe probe = MqOpenProbe.open(ProbeOptions.defaults())) {
 *     AttachReport report = probe.attach(AttachMode.AUTO);
 *     ByteBuffer buf = MqOpenProbe.allocateBuffer(1024);
 *     int n = probe.drain(buf, 100);
 *     for (int i = 0; i < n; i++) handle(RawEvent.decode(buf, i * RawEvent.SIZE));
 * }
 * }</pre>
 */
public final class MqOpenProbe implements AutoCloseable {
    /** AUTO's order: cheapest first, but kprobe before fentry where {@link KernelFeatures#tracingPreemptible()}. */
    private static final List<AttachMode> FALLBACK = KernelFeatures.tracingPreemptible()
            ? List.of(AttachMode.KPROBE, AttachMode.FENTRY, AttachMode.TRACEPOINT)
            : List.of(AttachMode.FENTRY, AttachMode.KPROBE, AttachMode.TRACEPOINT);
    private static final List<String> AUTO_NOTES = KernelFeatures.tracingPreemptible()
            ? List.of("kprobe tried before fentry: with this kernel's preemption (" + KernelFeatures.preemption()
                    + ") fentry/fexit runs that preempt each other on one CPU are skipped (lost, counted as programMisses)")
            : List.of();

    private volatile ProbeOptions options;
    private final long handle;
    /** drain, counters and detach share it; load, attach and close take it exclusively */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Object closeLock = new Object();
    private final List<AttachFailure> loadFailures = new ArrayList<>();
    private AttachMode loaded;
    private Set<ProbeFeature> features = Set.of();
    private volatile AttachMode attached;
    private volatile boolean closed;
    private volatile ProbeCounters finalCounters;
    /** When the current aggregation window began (attach, then each flush), ns since boot. */
    private long accessWindowStartNs;
    private ByteBuffer accessBuffer;

    private MqOpenProbe(ProbeOptions options, long handle) {
        this.options = options;
        this.handle = handle;
    }

    /**
     * Opens the embedded BPF object, sets its tunables and filters, and loads the hook set
     * {@link ProbeOptions#attachMode()} names (AUTO: the first of fentry, kprobe, tracepoint that loads).
     *
     * @throws ProbePermissionException without CAP_BPF and CAP_PERFMON
     * @throws ProbeLoadException when no set loads; carries the verifier log
     */
    public static MqOpenProbe open(ProbeOptions options) throws ProbeException {
        return open(options, Set.of());
    }

    /** As {@link #open(ProbeOptions)}, but the program takes the fallback paths for {@code without} (tests). */
    static MqOpenProbe open(ProbeOptions options, Set<ProbeFeature> without) throws ProbeException {
        if (!new java.io.File("/sys/kernel/btf/vmlinux").canRead())
            throw new ProbeLoadException("open", 2 /* ENOENT */,
                    "no BTF at /sys/kernel/btf/vmlinux: the probe is CO-RE and needs a kernel built with CONFIG_DEBUG_INFO_BTF=y", "");
        List<String> missing = Capabilities.missingForProbe();
        if (!missing.isEmpty())
            throw new ProbePermissionException("open", 1 /* EPERM */, "cannot load the mq_open probe: this process ("
                    + Capabilities.describe() + ") lacks " + String.join(" and ", missing) + ". " + ProbePermissionException.HOW, "");
        long h = NativeProbe.create(options.transport().ordinal(), options.perCpuPages(), options.ringBufferBytes(),
                options.effectiveWakeupBytes(), options.drainIntervalMillis(), options.stagingEvents(),
                (int) ProcessHandle.current().pid(),
                ProbeOptions.longs(options.includeUids()), ProbeOptions.longs(options.excludeUids()),
                options.commSlots(options.includeComms()), options.commSlots(options.excludeComms()),
                ProbeOptions.longs(options.includeCgroupIds()), ProbeOptions.longs(options.excludeCgroupIds()),
                options.namePrefixBytes(), options.faults().entryDropOneIn(), options.faults().entrySkipOneIn(),
                options.faults().exitSkipOneIn(), options.faults().openExitSkipOneIn(),
                options.faults().taskExitSkipOneIn(), options.faults().callSkipOneIn(), options.skipFieldsForBenchmark(), options.queueLife() ? 1 : 0,
                options.accessMode().ordinal(),
                options.accessMaxKeys(), options.accessMaxContexts());
        if (h == 0) throw new ProbeException("open", 12 /* ENOMEM */, "mqtap_probe_new failed: out of memory");
        MqOpenProbe p = new MqOpenProbe(options, h);
        if (options.pinPath() != null && NativeProbe.setPinPath(h, options.pinPath()) != 0) {
            NativeProbe.free(h);
            throw new ProbeException("open", 36 /* ENAMETOOLONG */, "pinPath too long: " + options.pinPath());
        }
        Set<ProbeFeature> off = java.util.EnumSet.noneOf(ProbeFeature.class);
        off.addAll(without);
        if (!options.compat32Hooks()) off.add(ProbeFeature.COMPAT32_HOOKS);
        if (!off.isEmpty()) NativeProbe.withoutFeatures(h, ProbeFeature.bits(off));
        NativeProbe.setKretprobeInstances(h, options.kretprobeInstances());
        NativeProbe.setFairness(h, options.fairRate(), options.fairBurst(), options.fairPerCgroup());
        try {
            List<AttachMode> sets = options.attachMode() == AttachMode.AUTO ? FALLBACK : List.of(options.attachMode());
            ProbeLoadException last = null;
            for (AttachMode m : sets) {
                try {
                    p.load(m);
                    return p;
                } catch (ProbeLoadException e) {
                    last = e;
                    p.loadFailures.add(new AttachFailure(m, e.errno(), "load: " + firstLine(e.getMessage())));
                }
            }
            throw sets.size() == 1 ? last : combined(last, p.loadFailures);
        } catch (ProbeException | RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** A direct buffer in native order for {@code events} records. */
    public static ByteBuffer allocateBuffer(int events) {
        if (events < 1) throw new IllegalArgumentException("events: must be >= 1, was " + events);
        return ByteBuffer.allocateDirect(events * RawEvent.SIZE).order(ByteOrder.nativeOrder());
    }

    private static ProbeLoadException combined(ProbeLoadException last, List<AttachFailure> failures) {
        StringBuilder sb = new StringBuilder("no hook set of the mq_open probe loaded");
        for (AttachFailure f : failures) sb.append("; ").append(f);
        return last instanceof ProbePermissionException
                ? new ProbePermissionException(last.operation(), last.errno(), sb.toString(), last.verifierLog())
                : new ProbeLoadException(last.operation(), last.errno(), sb.toString(), last.verifierLog());
    }

    /** Loads one concrete set; caller holds the write lock or is the constructor. */
    private void load(AttachMode m) throws ProbeLoadException {
        loaded = null;
        int rc = NativeProbe.load(handle, m.ordinal());
        if (rc < 0) {
            String msg = NativeProbe.error(handle);
            String log = NativeProbe.log(handle);
            if (-rc == 1) {
                List<String> missing = Capabilities.missingForProbe();
                if (!missing.isEmpty())
                    throw new ProbePermissionException("load", 1, msg + ": this process lacks " + String.join(" and ", missing)
                            + ". " + ProbePermissionException.HOW, log);
                msg += Capabilities.effective().isPresent()
                        ? ": the capabilities are held (CAP_BPF, CAP_PERFMON), so the kernel itself refuses: "
                          + "kernel lockdown or a security module forbids this program type"
                        : ": this process's capabilities could not be read; it may lack CAP_BPF and CAP_PERFMON, "
                          + "or kernel lockdown or a security module forbids this program type";
            }
            throw new ProbeLoadException("load", -rc, log.isBlank() ? msg : msg + "\n" + tail(log, 4000), log);
        }
        loaded = m;
        features = ProbeFeature.of(NativeProbe.features(handle));
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s : "..." + s.substring(s.length() - max);
    }

    /**
     * Attaches a hook set. AUTO tries fentry, kprobe, then tracepoint (loading each as needed) and
     * returns which one attached and why each earlier one failed; an explicit mode tries only itself.
     *
     * @throws ProbeAttachException when nothing attached; its report says why for each set
     * @throws ProbeLoadException   when an explicit mode does not load
     */
    public AttachReport attach(AttachMode mode) throws ProbeException {
        lock.writeLock().lock();
        try {
            ensureOpen();
            if (attached != null) {
                if (mode == AttachMode.AUTO || mode == attached)
                    return new AttachReport(attached, loadFailures, features, mode == AttachMode.AUTO ? AUTO_NOTES : List.of());
                throw new IllegalStateException("already attached with " + attached.label() + "; detach first");
            }
            List<AttachMode> sets = mode == AttachMode.AUTO ? FALLBACK : List.of(mode);
            List<AttachFailure> failures = new ArrayList<>();
            if (mode == AttachMode.AUTO) failures.addAll(loadFailures);
            AttachFailure last = null;
            for (AttachMode m : sets) {
                if (mode == AttachMode.AUTO && failures.stream().anyMatch(f -> f.mode() == m)) continue;
                if (loaded != m) {
                    try {
                        load(m);
                    } catch (ProbeLoadException e) {
                        if (mode != AttachMode.AUTO) throw e;
                        failures.add(last = new AttachFailure(m, e.errno(), "load: " + firstLine(e.getMessage())));
                        continue;
                    }
                }
                int rc = NativeProbe.attach(handle);
                if (rc == 0) {
                    accessWindowStartNs = KernelClock.bootTimeNanos();
                    attached = m;
                    loadFailures.clear();
                    loadFailures.addAll(failures);
                    return new AttachReport(m, failures, features, mode == AttachMode.AUTO ? AUTO_NOTES : List.of());
                }
                failures.add(last = new AttachFailure(m, -rc, "attach: " + NativeProbe.error(handle)));
            }
            AttachReport report = new AttachReport(null, failures);
            throw new ProbeAttachException(last == null ? 0 : last.errno(), report.describe(), report);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Replaces the in-kernel filters (uid, comm, cgroup, name prefix) with those of {@code next}, in place, while
     * the probe stays attached: no event passing both the old and the new filters is missed, and each call is
     * judged by one of them. Every other option of {@code next} is ignored (those need a new probe).
     */
    public void updateFilters(ProbeOptions next) throws ProbeException {
        lock.writeLock().lock();
        try {
            ensureOpen();
            if (loaded == null) throw new IllegalStateException("no hook set loaded: the filters are given to open()");
            int rc = NativeProbe.setFilters(handle, ProbeOptions.longs(next.includeUids()), ProbeOptions.longs(next.excludeUids()),
                    next.commSlots(next.includeComms()), next.commSlots(next.excludeComms()),
                    ProbeOptions.longs(next.includeCgroupIds()), ProbeOptions.longs(next.excludeCgroupIds()), next.namePrefixBytes());
            if (rc != 0) throw new ProbeException("updating the filters", -rc, NativeProbe.error(handle));
            ProbeOptions.Builder b = options.toBuilder().includeUids(next.includeUids()).excludeUids(next.excludeUids())
                    .includeComms(next.includeComms()).excludeComms(next.excludeComms())
                    .includeCgroupIds(next.includeCgroupIds()).excludeCgroupIds(next.excludeCgroupIds())
                    .namePrefix(next.namePrefixBytes());
            options = b.build();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Waits at most {@code timeoutMillis} for events and copies as many ready ones as fit below the limit of
     * {@code direct}, as consecutive {@link RawEvent#SIZE}-byte records from offset 0, in one JNI call.
     * Position and limit are not changed. Kernel wakeups are batched (watermark), so the kernel buffer is
     * also read every drain interval: an event waits at most about that long at low rates. With staging
     * on (the default) libmqtap's own thread reads the kernel buffer and this copies from its ring.
     *
     * @return the number of records copied; 0 on timeout, or when the probe is closing or closed
     */
    public int drain(ByteBuffer direct, int timeoutMillis) throws ProbeException {
        if (direct == null || !direct.isDirect())
            throw new IllegalArgumentException("drain: a direct ByteBuffer is needed (MqOpenProbe.allocateBuffer)");
        if (direct.limit() < RawEvent.SIZE)
            throw new IllegalArgumentException("drain: the buffer holds no record; limit " + direct.limit()
                    + " < RawEvent.SIZE " + RawEvent.SIZE);
        if (timeoutMillis < 0) throw new IllegalArgumentException("drain: timeoutMillis must be >= 0, was " + timeoutMillis);
        lock.readLock().lock();
        try {
            if (closed) return 0;
            if (loaded == null) throw new IllegalStateException("drain: nothing is loaded");
            int rc = NativeProbe.drain(handle, direct, direct.limit() / RawEvent.SIZE, timeoutMillis);
            if (rc < 0) throw new ProbeException("drain", -rc, NativeProbe.error(handle));
            return rc;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Closes the current aggregation window of send and receive ({@link AccessMode#AGGREGATE}) and reads it out of the
     * kernel: a new window begins at once, and this returns when no program can still count into the old one, so every
     * call is in exactly one window. Call it from one thread (the reader's), every access window and once after
     * {@link #detach()}. Null when the probe does not aggregate or is closed.
     */
    public AccessWindow flushAccess() throws ProbeException {
        lock.readLock().lock();
        try {
            if (closed || loaded == null || options.accessMode() != AccessMode.AGGREGATE) return null;
            long end = KernelClock.bootTimeNanos();
            int rc = NativeProbe.accessFlip(handle);
            if (rc < 0) throw new ProbeException("flushing the access window", -rc, NativeProbe.error(handle));
            if (accessBuffer == null)
                accessBuffer = ByteBuffer.allocateDirect(256 * RawEvent.SIZE).order(ByteOrder.nativeOrder());
            List<AccessEntry> entries = new ArrayList<>();
            while ((rc = NativeProbe.accessTake(handle, accessBuffer, accessBuffer.capacity() / AccessEntry.SIZE)) > 0)
                for (int i = 0; i < rc; i++) entries.add(AccessEntry.decode(accessBuffer, i * AccessEntry.SIZE));
            if (rc < 0) throw new ProbeException("reading the access window", -rc, NativeProbe.error(handle));
            java.util.Map<AccessKey, MqTransferEvent> contexts = new java.util.HashMap<>();
            while ((rc = NativeProbe.accessContexts(handle, accessBuffer, accessBuffer.capacity() / RawEvent.SIZE)) > 0)
                for (int i = 0; i < rc; i++) {
                    if (RawEvent.decodeAny(accessBuffer, i * RawEvent.SIZE) instanceof MqTransferEvent t)
                        contexts.put(new AccessKey(t.caller().pid(), t.caller().processStartNs(), t.queue() == null ? 0 : t.queue().inode()), t);
                }
            if (rc < 0) throw new ProbeException("reading the access window's callers", -rc, NativeProbe.error(handle));
            long[] o = new long[8];
            rc = NativeProbe.accessOverflow(handle, o);
            if (rc < 0) throw new ProbeException("reading the access window's overflow", -rc, NativeProbe.error(handle));
            AccessWindow w = new AccessWindow(accessWindowStartNs, end, AccessMerge.merge(entries, contexts),
                    new AccessWindow.Overflow(o[0], o[1], o[2], o[3]), new AccessWindow.Overflow(o[4], o[5], o[6], o[7]));
            accessWindowStartNs = end;
            return w;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A process's use of one queue: how the caller snapshots are keyed. */
    record AccessKey(long pid, long processStartNs, long queueInode) {}

    /**
     * Replaces the fairness budget (rate, burst, per uid or per cgroup) with that of {@code next} in the running
     * programs; every other option of {@code next} is ignored. Buckets keep their state across the change.
     */
    public void updateFairness(ProbeOptions next) {
        lock.writeLock().lock();
        try {
            ensureOpen();
            NativeProbe.setFairness(handle, next.fairRate(), next.fairBurst(), next.fairPerCgroup());
            options = options.toBuilder().fairness(next.fairRate(), next.fairBurst(), next.fairPerCgroup()).build();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * What fairness and the buffer did to each uid's events since the load: cumulative suppressed and lost counts
     * with the first and latest time, one entry per uid that had any (at most {@link FairAccount#CAPACITY}). Any thread.
     */
    public List<FairAccount> fairAccounts() {
        lock.readLock().lock();
        try {
            if (closed || loaded == null) return List.of();
            long[] v = new long[FairAccount.CAPACITY * FairAccount.SLOTS];
            int n = NativeProbe.fairAccounts(handle, v);
            List<FairAccount> out = new ArrayList<>(Math.max(n, 0));
            for (int i = 0; i < n; i++) out.add(FairAccount.of(v, i * FairAccount.SLOTS));
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The counters now; after close, the last values. Any thread. */
    public ProbeCounters counters() {
        if (closed) return finalCounters == null ? ProbeCounters.ZERO : finalCounters;
        lock.readLock().lock();
        try {
            if (closed) return finalCounters;
            long[] v = new long[ProbeCounters.SLOTS];
            NativeProbe.counters(handle, v);
            return ProbeCounters.of(v);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * How often the kernel ran each of this probe's programs and for how long, by role, counted while
     * {@link #enableRunTimeStats()} is on (the kernel does not time BPF programs otherwise). Any thread.
     */
    public ProgramStats programStats() {
        lock.readLock().lock();
        try {
            if (closed) return ProgramStats.of(new long[2 * ProgramStats.ROLES.size()]);
            long[] v = new long[2 * ProgramStats.ROLES.size()];
            NativeProbe.progStats(handle, v);
            return ProgramStats.of(v);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Turns the kernel's BPF run-time statistics on (for every program on the host) until closed; they
     * cost every BPF program two clock reads per run, so only benchmarks do this.
     */
    public static AutoCloseable enableRunTimeStats() throws ProbeException {
        int fd = NativeProbe.enableStats();
        if (fd < 0) throw new ProbeException("enable_stats", -fd, "BPF_ENABLE_STATS failed: " + NativeProbe.strerror(-fd));
        return () -> NativeProbe.closeFd(fd);
    }

    /** Stops new events; drain still returns what is buffered. With a pin path, unpins (a stop for good). Any thread; idempotent. */
    public void detach() {
        lock.readLock().lock();
        try {
            if (closed) return;
            synchronized (this) {
                NativeProbe.detach(handle);
                attached = null;
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Pinned ring only: from now on a drain leaves what it copied in the kernel's ring until {@link #commit} says it
     * is safe (the producer commits what its spool holds), so a process killed in between loses none of it.
     */
    public void manualCommit(boolean on) {
        withHandle(() -> NativeProbe.setManualCommit(handle, on));
    }

    /** Where the last drain of the pinned ring stopped (a position to {@link #commit} later); -1 when not pinned. */
    public long readPosition() {
        long[] v = {-1};
        withHandle(() -> v[0] = NativeProbe.readPosition(handle));
        return v[0];
    }

    /** Lets the kernel reuse the pinned ring up to a position {@link #readPosition} gave. Any thread. */
    public void commit(long position) {
        withHandle(() -> NativeProbe.commit(handle, position));
    }

    /**
     * Before the first drain: starts past the records a killed run had already made safe (a position it read, in
     * this same ring: {@link #ringId}), when that is ahead of what it committed.
     */
    public void resume(long position) {
        withHandle(() -> NativeProbe.resume(handle, position));
    }

    /** The pinned ring's map id (-1 when not pinned): a position means something only in the ring it came from. */
    public long ringId() {
        long[] v = {-1};
        withHandle(() -> v[0] = NativeProbe.ringId(handle));
        return v[0];
    }

    private void withHandle(Runnable r) {
        lock.readLock().lock();
        try {
            if (!closed) r.run();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** What {@link ProbeOptions#pinPath()} found and did at the last attach ({@link PinReport#OFF} without one). */
    public PinReport pinReport() {
        lock.readLock().lock();
        try {
            if (closed || options.pinPath() == null) return PinReport.OFF;
            long[] v = new long[3];
            int state = NativeProbe.pinState(handle, v);
            return new PinReport(PinState.values()[state], v[0], v[1], v[2], NativeProbe.pinWhy(handle));
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Closes the probe for a restart: with a pin path, its programs stay attached and keep capturing into the
     * pinned ring buffer (the counters checkpointed there), for the next probe of that path to take over. Without
     * one, as {@link #close()}. Call it after the last drain: what is still in the ring is the next run's.
     */
    public void release() {
        synchronized (closeLock) {
            if (closed) return;
            NativeProbe.keepPins(handle, true);
        }
        close();
    }

    /** The hook set currently attached, or null. */
    public AttachMode attachedMode() {
        return attached;
    }

    /** The hook set currently loaded (the one open() or the last attach() loaded), or null. */
    public AttachMode loadedMode() {
        return loaded;
    }

    /** The kernel features the loaded program uses (empty when nothing is loaded); see {@link ProbeFeature}. */
    public Set<ProbeFeature> features() {
        return loaded == null ? Set.of() : features;
    }

    /** Failures of the sets tried before the loaded one (open) or the attached one (attach). */
    public List<AttachFailure> failures() {
        return List.copyOf(loadFailures);
    }

    public ProbeOptions options() {
        return options;
    }

    /** Detaches, frees the programs, maps and buffers. Idempotent; a concurrent close waits for the first. */
    @Override
    public void close() {
        // one closer at a time: stop() below must never reach a handle another close has freed
        synchronized (closeLock) {
            if (closed) return;
            NativeProbe.stop(handle); // a drain in progress returns now and releases the read lock
            lock.writeLock().lock();
            try {
                long[] v = new long[ProbeCounters.SLOTS];
                NativeProbe.counters(handle, v);
                finalCounters = ProbeCounters.of(v);
                NativeProbe.free(handle);
                closed = true;
                attached = null;
                loaded = null;
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("probe is closed");
    }
}
