package io.mqtap.capture;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * How a probe is built: transport and its sizes, the drain interval, the hook set to load first,
 * and the in-kernel filters. Validated by {@link Builder#build()}: a bad value throws
 * IllegalArgumentException naming the option. mqtap's own process is always excluded in the kernel.
 */
public final class ProbeOptions {
    /** Filter sets share one 1024-entry kernel map per attribute. */
    public static final int MAX_FILTER_ENTRIES = 1024;
    public static final int PAGE_SIZE = 4096;
    /** The most kretprobe instances the kernel allows (KRETPROBE_MAXACTIVE_MAX). */
    public static final int MAX_KRETPROBE_INSTANCES = 4096;

    private final Transport transport;
    private final int perCpuPages;
    private final int ringBufferBytes;
    private final int wakeupBytes;
    private final int drainIntervalMillis;
    private final int stagingEvents;
    private final AttachMode attachMode;
    private final Set<Long> includeUids, excludeUids;
    private final Set<String> includeComms, excludeComms;
    private final Set<Long> includeCgroupIds, excludeCgroupIds;
    private final byte[] namePrefix;
    private final FaultInjection faults;
    private final int skipFields;
    private final boolean queueLife;
    private final AccessMode accessMode;
    private final int accessMaxKeys;
    private final int accessMaxContexts;
    private final long fairRate, fairBurst;
    private final boolean fairPerCgroup;
    private final boolean compat32Hooks;
    private final int kretprobeInstances;
    private final String pinPath;

    private ProbeOptions(Builder b) {
        transport = b.transport;
        perCpuPages = b.perCpuPages;
        ringBufferBytes = b.ringBufferBytes;
        wakeupBytes = b.wakeupBytes;
        drainIntervalMillis = b.drainIntervalMillis;
        stagingEvents = b.stagingEvents;
        attachMode = b.attachMode;
        includeUids = Set.copyOf(b.includeUids);
        excludeUids = Set.copyOf(b.excludeUids);
        includeComms = Set.copyOf(b.includeComms);
        excludeComms = Set.copyOf(b.excludeComms);
        includeCgroupIds = Set.copyOf(b.includeCgroupIds);
        excludeCgroupIds = Set.copyOf(b.excludeCgroupIds);
        namePrefix = b.namePrefix.clone();
        faults = b.faults;
        skipFields = b.skipFields;
        queueLife = b.queueLife;
        accessMode = b.accessMode;
        accessMaxKeys = b.accessMaxKeys;
        accessMaxContexts = b.accessMaxContexts;
        fairRate = b.fairRate;
        fairBurst = b.fairBurst;
        fairPerCgroup = b.fairPerCgroup;
        compat32Hooks = b.compat32Hooks;
        kretprobeInstances = b.kretprobeInstances;
        pinPath = b.pinPath;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static ProbeOptions defaults() {
        return builder().build();
    }

    /** A builder holding these options, to change some of them. */
    public Builder toBuilder() {
        Builder b = new Builder().transport(transport).perCpuPages(perCpuPages).ringBufferBytes(ringBufferBytes)
                .wakeupBytes(wakeupBytes).drainIntervalMillis(drainIntervalMillis).stagingEvents(stagingEvents)
                .attachMode(attachMode)
                .includeUids(includeUids).excludeUids(excludeUids).includeComms(includeComms)
                .excludeComms(excludeComms).includeCgroupIds(includeCgroupIds).excludeCgroupIds(excludeCgroupIds)
                .fairness(fairRate, fairBurst, fairPerCgroup);
        b.namePrefix = namePrefix.clone();
        b.faults = faults;
        b.skipFields = skipFields;
        b.queueLife = queueLife;
        b.accessMode = accessMode;
        b.accessMaxKeys = accessMaxKeys;
        b.accessMaxContexts = accessMaxContexts;
        b.compat32Hooks = compat32Hooks;
        b.kretprobeInstances = kretprobeInstances;
        b.pinPath = pinPath;
        return b;
    }

    public Transport transport() { return transport; }
    public int perCpuPages() { return perCpuPages; }
    public int ringBufferBytes() { return ringBufferBytes; }
    /** Bytes buffered before the reader is woken; 0 wakes it on every event. */
    public int wakeupBytes() { return wakeupBytes; }
    /** The longest a drain sleeps before looking again, so events below the watermark are not held longer. */
    public int drainIntervalMillis() { return drainIntervalMillis; }
    /**
     * Events a native thread of libmqtap keeps read ahead of {@link MqOpenProbe#drain} (0: none, drain reads
     * the kernel buffer itself). A GC pause stops every Java thread but not this one, so the kernel buffer
     * keeps being emptied while the JVM is paused; the kernel only loses events once this is full too.
     */
    public int stagingEvents() { return stagingEvents; }
    /** The hook set {@link MqOpenProbe#open} loads (AUTO: the first that loads, fentry, kprobe, tracepoint). */
    public AttachMode attachMode() { return attachMode; }
    public Set<Long> includeUids() { return includeUids; }
    public Set<Long> excludeUids() { return excludeUids; }
    public Set<String> includeComms() { return includeComms; }
    public Set<String> excludeComms() { return excludeComms; }
    public Set<Long> includeCgroupIds() { return includeCgroupIds; }
    public Set<Long> excludeCgroupIds() { return excludeCgroupIds; }
    /** The name prefix as bytes (empty: no prefix filter). */
    public byte[] namePrefixBytes() { return namePrefix.clone(); }
    /** Tests only: simulated kernel failures (none by default). */
    public FaultInjection faults() { return faults; }
    /**
     * Whether the probe also records the rest of a queue's life: mq_unlink (and unlinks through a mounted mqueue
     * filesystem), mq_notify and mq_getsetattr as events ({@link RawEvent#decodeAny}), send and receive as
     * {@link #accessMode} says. Off (the default): mq_open and opens through the filesystem only, every record an
     * {@link MqOpenEvent}, and the other calls' hooks are neither loaded nor attached.
     */
    public boolean queueLife() { return queueLife; }
    /**
     * Whether the tracepoint set adds its two raw_syscalls programs for 32-bit callers of mq_open (default true).
     * They run on every syscall of the host, so they are what the tracepoint set costs most; without them a 32-bit
     * caller's mq_open is not seen in that set (the fentry and kprobe sets see it either way).
     */
    public boolean compat32Hooks() { return compat32Hooks; }
    /**
     * A directory on a BPF filesystem where the maps and links outlive the probe (ring buffer transport only), or
     * null (default): a probe closed with {@link MqOpenProbe#release()} leaves its programs capturing into the
     * pinned ring, and the next probe with the same directory takes them over and drains what they caught.
     * Staging is off with it (the events wait in the kernel's ring, which outlives the process).
     */
    public String pinPath() { return pinPath; }
    /** Instances of each kretprobe the kprobe set makes (default 4096, the kernel's most; tests set fewer). */
    public int kretprobeInstances() { return kretprobeInstances; }
    /** How send and receive are recorded when {@link #queueLife}: default {@link AccessMode#AGGREGATE}; without it, off. */
    public AccessMode accessMode() { return queueLife ? accessMode : AccessMode.OFF; }
    /**
     * Aggregation: entries (one per thread, queue, call and result) each window's hash map holds; calls of a key
     * that finds it full are counted per call as overflow.
     */
    public int accessMaxKeys() { return accessMaxKeys; }
    /** Aggregation: caller snapshots (one per process and queue) each window holds; beyond, records lack the caller. */
    public int accessMaxContexts() { return accessMaxContexts; }
    /** Each uid's (or cgroup's) budget of events per second; 0: fairness off (the default here). */
    public long fairRate() { return fairRate; }
    /** How many events a uid may emit at once above its rate (the bucket's size). */
    public long fairBurst() { return fairBurst; }
    /** One budget per cgroup instead of per uid. */
    public boolean fairPerCgroup() { return fairPerCgroup; }
    /** Benchmarks only: groups of fields the probe leaves unread ({@link #SKIP_CREDS} ...; 0, the default: none). */
    public int skipFieldsForBenchmark() { return skipFields; }

    /** Groups of fields {@link Builder#skipFieldsForBenchmark} can leave unread, as bpf/caller.bpf.h numbers them. */
    public static final int SKIP_CREDS = 0x01, SKIP_IPC_NS = 0x02, SKIP_NS_TID = 0x04, SKIP_START = 0x08,
            SKIP_EXE = 0x10, SKIP_QUEUE = 0x20, SKIP_OPEN_HOOKS = 0x40;

    /**
     * Fault injection, for tests of the loss accounting only: 1 in N mq_open calls (after the filters)
     * behaves as if the kernel could not store the entry ({@code entryDropOneIn}), skipped the entry
     * program ({@code entrySkipOneIn}) or skipped the exit program ({@code exitSkipOneIn}); 1 in N opens of
     * a queue through the mqueue filesystem (after the filters) as if it skipped the open-exit program
     * ({@code openExitSkipOneIn}), 1 in N thread exits with an mq_open entry still pending as if it
     * skipped the thread-exit program ({@code taskExitSkipOneIn}), and with {@link #queueLife} 1 in N mq_notify and
     * mq_getsetattr calls (after the filters) as if it skipped their program ({@code callSkipOneIn}). 0 turns each
     * off. What follows (counting, pairing) is the production code; only the failure is simulated. The kernel's
     * count of a program's skipped runs can't be raised from outside, so the skips are counted by the program and
     * added by the loader to {@link ProbeCounters#missesEnter()}, {@link ProbeCounters#missesOpenExit()},
     * {@link ProbeCounters#missesTaskExit()} and {@link ProbeCounters#missesCalls()}, as the kernel would count
     * them (an entry skip must be: a call whose exit the kernel really skips as well is counted nowhere else).
     */
    public record FaultInjection(int entryDropOneIn, int entrySkipOneIn, int exitSkipOneIn, int openExitSkipOneIn,
                                 int taskExitSkipOneIn, int callSkipOneIn) {
        public static final FaultInjection NONE = new FaultInjection(0, 0, 0, 0, 0, 0);

        public FaultInjection {
            if (entryDropOneIn < 0 || entrySkipOneIn < 0 || exitSkipOneIn < 0 || openExitSkipOneIn < 0
                    || taskExitSkipOneIn < 0 || callSkipOneIn < 0)
                throw new IllegalArgumentException("faultInjection: 1-in-N values must be >= 0 (0: off), was " + this);
        }

        /** The mq_open entry and exit faults only. */
        public FaultInjection(int entryDropOneIn, int entrySkipOneIn, int exitSkipOneIn) {
            this(entryDropOneIn, entrySkipOneIn, exitSkipOneIn, 0, 0, 0);
        }

        public boolean any() {
            return entryDropOneIn + entrySkipOneIn + exitSkipOneIn + openExitSkipOneIn + taskExitSkipOneIn + callSkipOneIn > 0;
        }
    }

    /** The wakeup watermark the kernel is given: at most half of one buffer, so a wakeup can happen before it fills. */
    int effectiveWakeupBytes() {
        long buffer = transport == Transport.PERF_BUFFER ? (long) perCpuPages * PAGE_SIZE : ringBufferBytes;
        return (int) Math.min(wakeupBytes, buffer / 2);
    }

    @Override
    public String toString() {
        return "ProbeOptions{transport=" + transport + ", perCpuPages=" + perCpuPages + ", ringBufferBytes="
                + ringBufferBytes + ", wakeupBytes=" + wakeupBytes + ", drainIntervalMillis=" + drainIntervalMillis
                + ", stagingEvents=" + stagingEvents + ", attachMode=" + attachMode.label() + ", includeUids=" + includeUids + ", excludeUids=" + excludeUids
                + ", includeComms=" + includeComms + ", excludeComms=" + excludeComms + ", includeCgroupIds="
                + includeCgroupIds + ", excludeCgroupIds=" + excludeCgroupIds + ", namePrefix="
                + new String(namePrefix, StandardCharsets.UTF_8)
                + ", queueLife=" + queueLife + ", accessMode=" + accessMode().label() + ", accessMaxKeys=" + accessMaxKeys + ", accessMaxContexts=" + accessMaxContexts
                + (compat32Hooks ? "" : ", compat32Hooks=false") + (pinPath == null ? "" : ", pinPath=" + pinPath)
                + (kretprobeInstances != MAX_KRETPROBE_INSTANCES ? ", kretprobeInstances=" + kretprobeInstances : "")
                + (faults.any() ? ", faults=" + faults : "") + (skipFields != 0 ? ", skipFields=0x"
                + Integer.toHexString(skipFields) : "") + ", fairRate=" + fairRate + ", fairBurst=" + fairBurst
                + ", fairPerCgroup=" + fairPerCgroup + "}";
    }

    public static final class Builder {
        private Transport transport = Transport.PERF_BUFFER;
        private int perCpuPages = 64;
        private int ringBufferBytes = 8 << 20;
        private int wakeupBytes = 65536;
        private int drainIntervalMillis = 10;
        private int stagingEvents = 32768;
        private AttachMode attachMode = AttachMode.AUTO;
        private Set<Long> includeUids = Set.of(), excludeUids = Set.of();
        private Set<String> includeComms = Set.of(), excludeComms = Set.of();
        private Set<Long> includeCgroupIds = Set.of(), excludeCgroupIds = Set.of();
        private byte[] namePrefix = new byte[0];
        private FaultInjection faults = FaultInjection.NONE;
        private int skipFields;
        private boolean queueLife;
        private boolean compat32Hooks = true;
        private int kretprobeInstances = MAX_KRETPROBE_INSTANCES;
        private String pinPath;
        private AccessMode accessMode = AccessMode.AGGREGATE;
        private int accessMaxKeys = 4096;
        private int accessMaxContexts = 1024;
        private long fairRate = 0, fairBurst = 0;
        private boolean fairPerCgroup;

        private Builder() {}

        /**
         * Per-user fairness in the kernel: each uid (or cgroup, {@code perCgroup}) emits at most {@code rate} events a
         * second after a burst of {@code burst}; events over it are counted for their uid, not emitted. Rate 0: off.
         */
        public Builder fairness(long rate, long burst, boolean perCgroup) {
            fairRate = rate;
            fairBurst = burst;
            fairPerCgroup = perCgroup;
            return this;
        }

        /** Benchmarks only: leave these groups of fields unread (SKIP_* bits), to measure what each costs. */
        public Builder skipFieldsForBenchmark(int mask) {
            if (mask < 0 || mask > 0x7f) throw new IllegalArgumentException("skipFieldsForBenchmark: SKIP_* bits, was " + mask);
            skipFields = mask;
            return this;
        }

        /** Tests only: see {@link FaultInjection}. */
        public Builder faultInjection(FaultInjection f) {
            faults = Objects.requireNonNull(f, "faultInjection");
            return this;
        }

        public Builder transport(Transport t) { transport = Objects.requireNonNull(t, "transport"); return this; }
        /** Perf buffer pages per CPU: a power of two (default 64). */
        public Builder perCpuPages(int n) { perCpuPages = n; return this; }
        /** Ring buffer size: a power of two, at least one page (default 8 MiB). */
        public Builder ringBufferBytes(int n) { ringBufferBytes = n; return this; }
        /** Wakeup watermark in bytes (default 65536; 0 = wake on every event). */
        public Builder wakeupBytes(int n) { wakeupBytes = n; return this; }
        /** Upper bound of one sleep inside drain (default 10 ms). */
        public Builder drainIntervalMillis(int n) { drainIntervalMillis = n; return this; }
        /** Events read ahead into native memory by libmqtap's own thread (default 32768, 31 MiB; 0 = off). */
        public Builder stagingEvents(int n) { stagingEvents = n; return this; }
        /** Also the rest of a queue's life (default off: opens only); see {@link ProbeOptions#queueLife}. */
        public Builder queueLife(boolean on) { queueLife = on; return this; }
        /** See {@link ProbeOptions#compat32Hooks} (default true). */
        public Builder compat32Hooks(boolean on) { compat32Hooks = on; return this; }
        /** See {@link ProbeOptions#pinPath} (default null: nothing pinned). */
        public Builder pinPath(String dir) { pinPath = dir == null || dir.isEmpty() ? null : dir; return this; }
        /**
         * Tests only: instances of each kretprobe (1..4096, default 4096), so a test can hold them all with blocked
         * calls and drive the kernel's own kretprobe miss counters.
         */
        public Builder kretprobeInstancesForTests(int n) {
            if (n < 1 || n > MAX_KRETPROBE_INSTANCES)
                throw new IllegalArgumentException("kretprobeInstances: must be 1.." + MAX_KRETPROBE_INSTANCES + ", was " + n);
            kretprobeInstances = n;
            return this;
        }
        /** How send and receive are recorded with {@link #queueLife} (default aggregate). */
        public Builder accessMode(AccessMode m) { accessMode = Objects.requireNonNull(m, "accessMode"); return this; }
        /** Aggregation entries per window (default 4096, each about 100 bytes of kernel memory, twice: two windows). */
        public Builder accessMaxKeys(int n) { accessMaxKeys = n; return this; }
        /** Caller snapshots per window (default 1024, each about 1 KiB of kernel memory, twice). */
        public Builder accessMaxContexts(int n) { accessMaxContexts = n; return this; }
        public Builder attachMode(AttachMode m) { attachMode = Objects.requireNonNull(m, "attachMode"); return this; }
        public Builder includeUids(Set<Long> s) { includeUids = copy(s, "includeUids"); return this; }
        public Builder excludeUids(Set<Long> s) { excludeUids = copy(s, "excludeUids"); return this; }
        public Builder includeComms(Set<String> s) { includeComms = copy(s, "includeComms"); return this; }
        public Builder excludeComms(Set<String> s) { excludeComms = copy(s, "excludeComms"); return this; }
        public Builder includeCgroupIds(Set<Long> s) { includeCgroupIds = copy(s, "includeCgroupIds"); return this; }
        public Builder excludeCgroupIds(Set<Long> s) { excludeCgroupIds = copy(s, "excludeCgroupIds"); return this; }

        /**
         * Only names starting with this prefix (UTF-8 bytes), compared with the name the kernel sees:
         * glibc's mq_open strips the leading '/', so "/orders" is matched as "orders" by glibc callers.
         */
        public Builder namePrefix(String prefix) {
            namePrefix = prefix == null ? new byte[0] : prefix.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        public Builder namePrefix(byte[] prefix) {
            namePrefix = prefix == null ? new byte[0] : prefix.clone();
            return this;
        }

        public ProbeOptions build() {
            if (perCpuPages < 1 || Integer.bitCount(perCpuPages) != 1 || perCpuPages > 65536)
                throw new IllegalArgumentException("perCpuPages: must be a power of two between 1 and 65536, was " + perCpuPages);
            if (ringBufferBytes < PAGE_SIZE || Integer.bitCount(ringBufferBytes) != 1 || ringBufferBytes > (1 << 30))
                throw new IllegalArgumentException("ringBufferBytes: must be a power of two between " + PAGE_SIZE
                        + " and 1 GiB, was " + ringBufferBytes);
            if (wakeupBytes < 0)
                throw new IllegalArgumentException("wakeupBytes: must be >= 0 (0 wakes the reader on every event), was " + wakeupBytes);
            if (drainIntervalMillis < 1 || drainIntervalMillis > 10_000)
                throw new IllegalArgumentException("drainIntervalMillis: must be between 1 and 10000, was " + drainIntervalMillis);
            if (stagingEvents != 0 && (stagingEvents < 64 || stagingEvents > (1 << 22)))
                throw new IllegalArgumentException("stagingEvents: must be 0 (off) or between 64 and 4194304, was " + stagingEvents);
            if (pinPath != null && transport != Transport.RING_BUFFER)
                throw new IllegalArgumentException("pinPath: needs the ring buffer transport (the perf buffer's rings belong to the reader), was "
                        + transport);
            if (pinPath != null && (!pinPath.startsWith("/") || pinPath.getBytes(StandardCharsets.UTF_8).length > 200))
                throw new IllegalArgumentException("pinPath: must be an absolute path of at most 200 bytes, was " + pinPath);
            if (accessMaxKeys < 1 || accessMaxKeys > (1 << 20))
                throw new IllegalArgumentException("accessMaxKeys: must be between 1 and 1048576, was " + accessMaxKeys);
            if (accessMaxContexts < 1 || accessMaxContexts > (1 << 18))
                throw new IllegalArgumentException("accessMaxContexts: must be between 1 and 262144, was " + accessMaxContexts);
            checkIds(includeUids, "includeUids", 0xFFFF_FFFFL);
            checkIds(excludeUids, "excludeUids", 0xFFFF_FFFFL);
            checkComms(includeComms, "includeComms");
            checkComms(excludeComms, "excludeComms");
            checkIds(includeCgroupIds, "includeCgroupIds", Long.MAX_VALUE);
            checkIds(excludeCgroupIds, "excludeCgroupIds", Long.MAX_VALUE);
            checkShared(includeUids, excludeUids, "includeUids/excludeUids");
            checkShared(includeComms, excludeComms, "includeComms/excludeComms");
            checkShared(includeCgroupIds, excludeCgroupIds, "includeCgroupIds/excludeCgroupIds");
            if (fairRate < 0 || fairRate > 1_000_000_000L)
                throw new IllegalArgumentException("fairRate: must be 0 (off) or 1 to 1000000000 events per second, was " + fairRate);
            if (fairRate > 0 && (fairBurst < 1 || fairBurst > 1_000_000_000L))
                throw new IllegalArgumentException("fairBurst: must be 1 to 1000000000 events, was " + fairBurst);
            if (namePrefix.length > 255)
                throw new IllegalArgumentException("namePrefix: at most 255 bytes, was " + namePrefix.length);
            for (byte b : namePrefix)
                if (b == 0) throw new IllegalArgumentException("namePrefix: must not contain a NUL byte");
            return new ProbeOptions(this);
        }

        private static <T> Set<T> copy(Set<T> s, String option) {
            if (s == null) throw new IllegalArgumentException(option + ": must not be null (use an empty set)");
            for (T t : s) if (t == null) throw new IllegalArgumentException(option + ": must not contain null");
            return new LinkedHashSet<>(s);
        }

        private static void checkIds(Set<Long> ids, String option, long max) {
            for (long id : ids)
                if (id < 0 || id > max)
                    throw new IllegalArgumentException(option + ": " + id + " is out of range 0.." + max);
        }

        private static void checkComms(Set<String> comms, String option) {
            for (String c : comms) {
                int n = c.getBytes(StandardCharsets.UTF_8).length;
                if (n == 0 || n > 15)
                    throw new IllegalArgumentException(option + ": '" + c + "' must be 1 to 15 bytes (the kernel's comm is 15 bytes + NUL)");
            }
        }

        private static <T> void checkShared(Set<T> a, Set<T> b, String option) {
            Set<T> all = new HashSet<>(a);
            all.addAll(b);
            if (all.size() > MAX_FILTER_ENTRIES)
                throw new IllegalArgumentException(option + ": at most " + MAX_FILTER_ENTRIES + " distinct values, was " + all.size());
        }
    }

    byte[] commSlots(Set<String> comms) {
        byte[] out = new byte[comms.size() * 16];
        int i = 0;
        for (String c : comms) {
            byte[] b = c.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(b, 0, out, i * 16, b.length);
            i++;
        }
        return out;
    }

    static long[] longs(Set<Long> s) {
        return s.stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProbeOptions p && transport == p.transport && perCpuPages == p.perCpuPages
                && ringBufferBytes == p.ringBufferBytes && wakeupBytes == p.wakeupBytes
                && drainIntervalMillis == p.drainIntervalMillis && stagingEvents == p.stagingEvents
                && attachMode == p.attachMode
                && includeUids.equals(p.includeUids) && excludeUids.equals(p.excludeUids)
                && includeComms.equals(p.includeComms) && excludeComms.equals(p.excludeComms)
                && includeCgroupIds.equals(p.includeCgroupIds) && excludeCgroupIds.equals(p.excludeCgroupIds)
                && Arrays.equals(namePrefix, p.namePrefix) && faults.equals(p.faults) && skipFields == p.skipFields
                && queueLife == p.queueLife && accessMode == p.accessMode && accessMaxKeys == p.accessMaxKeys && accessMaxContexts == p.accessMaxContexts
                && fairRate == p.fairRate && fairBurst == p.fairBurst && fairPerCgroup == p.fairPerCgroup
                && compat32Hooks == p.compat32Hooks && kretprobeInstances == p.kretprobeInstances
                && Objects.equals(pinPath, p.pinPath);
    }

    @Override
    public int hashCode() {
        return Objects.hash(transport, perCpuPages, ringBufferBytes, wakeupBytes, drainIntervalMillis, stagingEvents, attachMode,
                includeUids, excludeUids, includeComms, excludeComms, includeCgroupIds, excludeCgroupIds,
                Arrays.hashCode(namePrefix), faults, skipFields, queueLife, accessMode, accessMaxKeys, accessMaxContexts,
                fairRate, fairBurst, fairPerCgroup, compat32Hooks, kretprobeInstances, pinPath);
    }
}
