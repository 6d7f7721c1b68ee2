package io.mqtap.producer.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import io.mqtap.capture.AccessMode;
import io.mqtap.capture.AttachMode;
import io.mqtap.capture.ProbeOptions;
import io.mqtap.capture.Transport;
import com.fasterxml.jackson.annotation.JsonIgnore;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** The {@code capture} section: which hooks, which transport, how it is drained, and kernel-side filters. */
public class CaptureFactory {
    /** auto tries fentry, then kprobe, then the syscall tracepoints. */
    @NotNull
    @Pattern(regexp = "(?i)auto|fentry|kprobe|tracepoint", message = "must be one of auto, fentry, kprobe, tracepoint")
    @JsonProperty
    private String attachMode = "auto";

    /** perf-buffer (default) or ring-buffer. */
    @NotNull
    @Pattern(regexp = "(?i)perf-buffer|ring-buffer", message = "must be perf-buffer or ring-buffer")
    @JsonProperty
    private String transport = "perf-buffer";

    /** Perf buffer pages per CPU (a power of two); 256 (1 MiB) absorbs longer reader stalls than 64 (BENCHMARKS.md, Capture). */
    @Min(1)
    @Max(65_536)
    @JsonProperty
    private int perCpuPages = 256;

    /** Ring buffer size in bytes (a power of two, a multiple of the page size). */
    @Min(4096)
    @JsonProperty
    private int ringBufferBytes = 4 << 20;

    /** Bytes buffered before the kernel wakes the reader; the drain interval bounds the wait below that. */
    @Min(0)
    @JsonProperty
    private int wakeupBytes = 65_536;

    /** The longest an event waits in the kernel buffer at low rates. */
    @NotNull
    @JsonProperty
    private Duration drainInterval = Duration.milliseconds(10);

    /** The most events one drain hands over (one JNI crossing). */
    @Min(1)
    @Max(65_536)
    @JsonProperty
    private int batchEvents = 1024;

    /**
     * Once the probe is attached, lower every thread of the service to the capabilities it still needs (none from
     * kernel 6.5 on, CAP_BPF before): a compromised process can then no longer read other processes' memory through
     * BPF. (A JVM that embeds the service and needs its capabilities afterwards, as the test JVMs do, sets
     * -Dmqtap.capabilities.keep=true instead.)
     */
    @JsonProperty
    private boolean dropCapabilities = true;

    @Valid
    @NotNull
    @JsonProperty
    private Filters filters = new Filters();

    /**
     * The rest of a queue's life besides its opens: mq_unlink, mq_notify, mq_getsetattr (a record each) and send and
     * receive as {@code access} says. Off: opens only.
     */
    @JsonProperty
    private boolean queueLife = true;

    /**
     * Tracepoint set only: the two raw_syscalls programs that see 32-bit callers (their compat calls skip the syscall
     * tracepoints). They run on every syscall of the host (measured: 0.70 of an untraced openat rate with them, 0.94
     * without, BENCHMARKS.md); off, a 32-bit program's queue calls are not seen in that set, and the stats record's
     * probeFeatures says so. The fentry and kprobe sets see 32-bit callers without them.
     */
    @JsonProperty
    private boolean compat32Hooks = true;

    /**
     * A directory on a BPF filesystem (e.g. /sys/fs/bpf/mqtap) where the probe's maps and links stay pinned across a
     * restart of the service: the programs keep capturing into the ring buffer while no mqtap runs, and the next run
     * takes them over and publishes what they caught (blind window zero). Needs {@code transport: ring-buffer}; empty
     * (default): off. A stop leaves the programs capturing for the next run: to stop for good, remove the directory
     * after the stop (`rm -r`), which detaches them (docs/operations.md).
     */
    @JsonProperty
    private String pinPath = "";

    /** How mq_timedsend and mq_timedreceive are recorded (the other calls of a queue's life are one record each). */
    @Valid
    @NotNull
    @JsonProperty
    private Access access = new Access();
    @Valid
    @NotNull
    @JsonProperty
    private Fairness fairness = new Fairness();

    public Fairness getFairness() { return fairness; }
    public void setFairness(Fairness v) { fairness = v; }

    public String getPinPath() { return pinPath; }
    public void setPinPath(String v) { pinPath = v; }

    @JsonIgnore
    @AssertTrue(message = "capture.pinPath needs capture.transport: ring-buffer (the perf buffer's rings end with the process), "
            + "and must be an absolute path of at most 200 bytes")
    public boolean isPinPathUsable() {
        if (pinPath == null || pinPath.isEmpty()) return true;
        return parseTransport(transport) == Transport.RING_BUFFER && pinPath.startsWith("/")
                && pinPath.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 200;
    }

    public boolean isDropCapabilities() { return dropCapabilities; }
    public void setDropCapabilities(boolean v) { dropCapabilities = v; }
    /** Tests of the loss accounting only: simulated kernel failures (all 0, off, by default). */
    @Valid
    @NotNull
    @JsonProperty
    private FaultInjection faultInjection = new FaultInjection();

    public ProbeOptions toOptions() {
        ProbeOptions.Builder b = ProbeOptions.builder()
                .transport(parseTransport(transport))
                .perCpuPages(perCpuPages)
                .ringBufferBytes(ringBufferBytes)
                .wakeupBytes(wakeupBytes)
                .drainIntervalMillis((int) drainInterval.toMilliseconds())
                .includeUids(filters.includeUids)
                .excludeUids(filters.excludeUids)
                .includeComms(filters.includeComms)
                .excludeComms(filters.excludeComms)
                .includeCgroupIds(filters.includeCgroupIds)
                .excludeCgroupIds(filters.excludeCgroupIds);
        if (filters.namePrefix != null && !filters.namePrefix.isEmpty()) b.namePrefix(filters.namePrefix);
        b.compat32Hooks(compat32Hooks);
        b.pinPath(pinPath);
        b.queueLife(queueLife).accessMode(AccessMode.of(access.mode)).accessMaxKeys(access.maxKeys).accessMaxContexts(access.maxContexts);
        b.faultInjection(new ProbeOptions.FaultInjection(faultInjection.entryDropOneIn, faultInjection.entrySkipOneIn,
                faultInjection.exitSkipOneIn, faultInjection.openExitSkipOneIn, faultInjection.taskExitSkipOneIn,
                faultInjection.callSkipOneIn));
        b.fairness(fairness.enabled ? fairness.rate : 0, fairness.burst, fairness.perCgroup);
        return b.build();
    }

    public AttachMode mode() {
        return AttachMode.parse(attachMode);
    }

    static Transport parseTransport(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "perf-buffer": return Transport.PERF_BUFFER;
            case "ring-buffer": return Transport.RING_BUFFER;
            default: throw new IllegalArgumentException("capture.transport: unknown transport '" + s + "' (perf-buffer or ring-buffer)");
        }
    }

    /**
     * Per-user fairness in the kernel: each uid (or, with perCgroup, each cgroup) emits at most {@code rate} events a
     * second after a burst of {@code burst}; calls over it are counted for their uid (the stats record's
     * suppressedByUid, mqtap_suppressed_total{uid}), not emitted, so one user's flood can't push others' events out
     * of the kernel buffer. Root has a bucket like any uid: a flood by root is as likely a runaway as an attack, and
     * an exempt uid would be the one an attacker with root would use to blind the others.
     */
    public static class Fairness {
        @JsonProperty public boolean enabled = true;
        @Min(1) @Max(1_000_000_000) @JsonProperty public long rate = 5_000;
        // the burst a uid may put into the buffer at once: 2,000 events (~0.5 MiB) fit in half of one CPU's default
        // perf buffer (256 pages), so a single uid's burst can't fill a CPU's buffer and take other users' events with it
        @Min(1) @Max(1_000_000_000) @JsonProperty public long burst = 2_000;
        @JsonProperty public boolean perCgroup = false;
    }

    /** Kernel-side filters; mqtap's own process is always left out. */
    public static class Filters {
        @NotNull @JsonProperty public Set<Long> includeUids = new LinkedHashSet<>();
        @NotNull @JsonProperty public Set<Long> excludeUids = new LinkedHashSet<>();
        @NotNull @JsonProperty public Set<String> includeComms = new LinkedHashSet<>();
        @NotNull @JsonProperty public Set<String> excludeComms = new LinkedHashSet<>();
        @NotNull @JsonProperty public Set<Long> includeCgroupIds = new LinkedHashSet<>();
        @NotNull @JsonProperty public Set<Long> excludeCgroupIds = new LinkedHashSet<>();
        /** Only queues whose name starts with this; decided on the kernel's name of the queue where a call succeeds. */
        @JsonProperty public String namePrefix;
    }

    /**
     * The {@code capture.access} section. {@code mode}: aggregate (the default: counted in the kernel, one MqAccess
     * record per process, queue and call every {@code window}), perCall (one MqTransfer record per call, for forensics,
     * at a cost per call) or off. {@code maxKeys}: entries of the kernel's per-window map (thread, queue, call, result);
     * calls that find it full are counted as overflow and published as such. {@code maxContexts}: caller snapshots per
     * window (process and queue); keys beyond them are published without the caller's details.
     */
    public static class Access {
        @NotNull
        @Pattern(regexp = "(?i)off|aggregate|percall", message = "must be one of off, aggregate, perCall")
        @JsonProperty public String mode = "aggregate";
        @NotNull @MinDuration(value = 100, unit = TimeUnit.MILLISECONDS) @JsonProperty public Duration window = Duration.seconds(10);
        @Min(1) @Max(1 << 20) @JsonProperty public int maxKeys = 4096;
        @Min(1) @Max(1 << 18) @JsonProperty public int maxContexts = 1024;

        public Duration getWindow() { return window; }
    }

    /**
     * 1 in N mq_open calls behaves as if the kernel failed to store its entry, skipped its entry or its exit; 1 in N
     * queue opens through the mqueue filesystem as if it skipped the open-exit program, 1 in N thread exits with a
     * call pending as if it skipped the thread-exit program, and with queueLife 1 in N mq_notify and mq_getsetattr calls
     * as if it skipped their program (0: never).
     */
    public static class FaultInjection {
        @Min(0) @JsonProperty public int entryDropOneIn;
        @Min(0) @JsonProperty public int entrySkipOneIn;
        @Min(0) @JsonProperty public int exitSkipOneIn;
        @Min(0) @JsonProperty public int openExitSkipOneIn;
        @Min(0) @JsonProperty public int taskExitSkipOneIn;
        @Min(0) @JsonProperty public int callSkipOneIn;
    }

    public String getAttachMode() { return attachMode; }
    public void setAttachMode(String v) { attachMode = v; }
    public String getTransport() { return transport; }
    public void setTransport(String v) { transport = v; }
    public int getPerCpuPages() { return perCpuPages; }
    public void setPerCpuPages(int v) { perCpuPages = v; }
    public int getRingBufferBytes() { return ringBufferBytes; }
    public void setRingBufferBytes(int v) { ringBufferBytes = v; }
    public int getWakeupBytes() { return wakeupBytes; }
    public void setWakeupBytes(int v) { wakeupBytes = v; }
    public Duration getDrainInterval() { return drainInterval; }
    public void setDrainInterval(Duration v) { drainInterval = v; }
    public int getBatchEvents() { return batchEvents; }
    public void setBatchEvents(int v) { batchEvents = v; }
    public boolean isCompat32Hooks() { return compat32Hooks; }
    public void setCompat32Hooks(boolean v) { compat32Hooks = v; }
    public boolean isQueueLife() { return queueLife; }
    public void setQueueLife(boolean v) { queueLife = v; }
    public Access getAccess() { return access; }
    public void setAccess(Access v) { access = v; }
    public Filters getFilters() { return filters; }
    public void setFilters(Filters v) { filters = v; }
    public FaultInjection getFaultInjection() { return faultInjection; }
    public void setFaultInjection(FaultInjection v) { faultInjection = v; }
}
