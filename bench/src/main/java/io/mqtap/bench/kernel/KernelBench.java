package io.mqtap.bench.kernel;

import io.mqtap.bench.BenchArgs;
import io.mqtap.bench.capture.CaptureBench;
import io.mqtap.capture.AccessMode;
import io.mqtap.capture.AccessRecord;
import io.mqtap.capture.AccessWindow;
import io.mqtap.capture.AttachMode;
import io.mqtap.capture.KernelFeatures;
import io.mqtap.capture.KernelFeatures.Expectation;
import io.mqtap.capture.MqOpenEvent;
import io.mqtap.capture.MqOpenProbe;
import io.mqtap.capture.MqUnlinkEvent;
import io.mqtap.capture.ProbeException;
import io.mqtap.capture.ProbeLoadException;
import io.mqtap.capture.ProbeCounters;
import io.mqtap.capture.ProbeOptions;
import io.mqtap.capture.QueueEvent;
import io.mqtap.capture.RawEvent;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqLifeHelper;
import io.mqtap.testkit.mqgen.MqLifeHelper.LifeRun;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.mqgen.MqOpenGenerator.Options;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.ArgumentParser;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * {@code ./mqtap bench kernel}: what this kernel does with each attach mode, one line per mode:
 * {@code kernel=<release> mode=<mode> attach=<ok|unsupported|FAIL> calls=<N> received=<N> lost=<N> reason=<text>}.
 * A mode the kernel's config and kallsyms say can't work is {@code unsupported} (the reason names
 * the option or symbol) when it indeed fails; any other outcome that differs from that prediction,
 * a call neither received nor counted as lost, or more calls received or lost by the probe's own count than were
 * made, is FAIL. A {@code capture} line per attached mode
 * gives traced/untraced calls/s of this run (inside a VM: emulated, only comparable within the run).
 * Where the kernel has IA-32 emulation, a static i386 caller then runs in each mode that attached:
 * {@code compat32 kernel=<release> mode=<mode> calls=<N> received=<N>}. In each mode that attached, the rest of a
 * queue's life (mq_life_helper's {@code everyCall} script, and the same from the static i386 mq_life32 where the kernel
 * has IA-32 emulation) runs twice, send and receive recorded per call and then aggregated:
 * {@code life kernel=<release> mode=<mode> caller=<64|32> calls=<N> events=<N> aggregated=<N> hostMisses=<N> unlinkedQueue=<yes|no> result=<ok|FAIL>}
 * (every call recorded, none lost by the probe's own count; fentry and kprobe must also name the queue an unlink
 * removed; the kernel's miss counts are host-wide upper bounds, printed as hostMisses: a call may be missing only
 * where they cover it). The last line is
 * {@code kernel-bench: ok} or {@code kernel-bench: FAIL}.
 * The kernel matrix ({@code ./mqtap test kernels}) runs this inside each VM.
 */
public final class KernelBench {
    private KernelBench() {}

    static ArgumentParser parser() {
        ArgumentParser p = BenchArgs.parser("kernel", "each attach mode on this kernel: attach ok/unsupported/FAIL, "
                + "calls, received, lost; then the 32-bit caller in each mode that attached");
        p.addArgument("--calls").metavar("N").type(Long.class).setDefault(20_000L).help("calls per mode (default 20000)");
        p.addArgument("--mode").metavar("MODE").action(Arguments.append())
                .help("fentry, kprobe or tracepoint; repeat for several (default: all three)");
        return p;
    }

    public static void main(String[] args) throws Exception {
        Namespace ns = parser().parseArgsOrFail(args);
        long calls = ns.getLong("calls");
        List<AttachMode> modes = new ArrayList<>();
        List<String> named = ns.getList("mode");
        if (named != null) for (String m : named) modes.add(AttachMode.parse(m));
        if (modes.isEmpty()) modes = List.of(AttachMode.FENTRY, AttachMode.KPROBE, AttachMode.TRACEPOINT);
        KernelFeatures kernel = KernelFeatures.detect();
        System.err.println("kernel-bench: " + kernel);
        double untraced = MqOpenGenerator.run(Options.burst(calls)).callsPerSec();
        boolean allOk = true;
        List<AttachMode> attached = new ArrayList<>();
        for (AttachMode mode : modes) {
            ModeResult r = run(kernel, mode, calls, untraced);
            allOk &= !r.attach.equals("FAIL");
            if (r.attach.equals("ok")) attached.add(mode);
            System.out.println(r.line(kernel.release()));
            if (r.ratio > 0)
                System.out.printf(Locale.ROOT, "capture kernel=%s mode=%s ratio=%.2f untraced=%.0f traced=%.0f%n",
                        kernel.release(), mode.label(), r.ratio, untraced, r.ratio * untraced);
        }
        boolean ia32 = !kernel.configKnown() || kernel.ia32Emulation();
        for (AttachMode mode : attached) {
            for (String program : ia32 ? List.of(MqGen.LIFE_HELPER, MqGen.LIFE32) : List.of(MqGen.LIFE_HELPER)) {
                Life l = life(mode, program);
                allOk &= l.ok();
                System.out.println(l.line(kernel.release(), mode));
            }
        }
        if (!kernel.configKnown() || kernel.ia32Emulation()) {
            for (AttachMode mode : attached) {
                Compat32 c = compat32(mode);
                allOk &= c.received == c.calls && c.calls > 0;
                System.out.printf(Locale.ROOT, "compat32 kernel=%s mode=%s calls=%d received=%d%s%n", kernel.release(),
                        mode.label(), c.calls, c.received, c.problem == null ? "" : " reason=" + c.problem);
            }
        } else {
            System.err.println("kernel-bench: no 32-bit caller run: " + kernel.ia32Reason());
        }
        System.out.println("kernel-bench: " + (allOk ? "ok" : "FAIL"));
    }

    record ModeResult(AttachMode mode, String attach, long calls, long received, long lost, String reason, double ratio) {
        String line(String release) {
            return String.format(Locale.ROOT, "kernel=%s mode=%s attach=%s calls=%d received=%d lost=%d reason=%s",
                    release, mode.label(), attach, calls, received, lost, reason.replace('\n', ' '));
        }
    }

    static ModeResult run(KernelFeatures kernel, AttachMode mode, long calls, double untracedRate) {
        Expectation expected = kernel.configKnown() ? kernel.expect(mode) : null;
        ProbeOptions opts = ProbeOptions.builder().attachMode(mode).build();
        CaptureBench.Run run;
        try {
            run = CaptureBench.traced(opts, mode, calls, untracedRate);
        } catch (ProbeException e) {
            String why = firstLine(e.getMessage());
            if (expected != null && !expected.attaches())
                return new ModeResult(mode, "unsupported", 0, 0, 0, expected.reason() + " (" + why + ")", 0);
            return new ModeResult(mode, "FAIL", 0, 0, 0, (expected == null ? "no kernel config to check against; " : "")
                    + why, 0);
        } catch (Exception e) {
            return new ModeResult(mode, "FAIL", 0, 0, 0, e.toString(), 0);
        }
        long got = run.received(), lost = run.lost(), n = run.traced().calls();
        String attach = "ok", reason = "events arrive";
        if (expected != null && !expected.attaches()) {
            attach = "FAIL";
            reason = "attached although the kernel says: " + expected.reason();
        } else if (got + lost < n) {
            attach = "FAIL";
            reason = (n - got - lost) + " calls neither received nor counted as lost";
        } else if (got + run.lostAtLeast() > n) {
            // the kernel's miss counts are host-wide upper bounds (6.12-rt's fentry once counted 1 more than the calls
            // missing); the probe's own losses are each one of these calls
            attach = "FAIL";
            reason = (got + run.lostAtLeast() - n) + " calls more received or lost by the probe's own count than were made";
        } else if (lost > 0) {
            reason = "events arrive; " + lost + " lost and counted";
        }
        return new ModeResult(mode, attach, n, got, lost, reason, run.ratio());
    }

    record Compat32(long calls, long received, String problem) {}

    static final int COMPAT32_CALLS = 200;

    /** mq_open32 (a static i386 program) makes its calls while {@code mode} is attached; counts its events. */
    static Compat32 compat32(AttachMode mode) {
        if (!MqGen.available(MqGen.COMPAT32)) return new Compat32(0, 0, "mq_open32 is not built (gcc-multilib)");
        try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().attachMode(mode)
                .includeComms(Set.of(MqGen.COMPAT32)).build())) {
            p.attach(mode);
            Process gen = new ProcessBuilder(MqGen.binary(MqGen.COMPAT32).toString(), Integer.toString(COMPAT32_CALLS))
                    .redirectErrorStream(true).start();
            String out = new String(gen.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (gen.waitFor() != 0) return new Compat32(0, 0, "mq_open32 failed: " + out);
            ByteBuffer buf = MqOpenProbe.allocateBuffer(256);
            long received = 0, deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received < COMPAT32_CALLS && System.nanoTime() < deadline) {
                int n = p.drain(buf, 100);
                for (int i = 0; i < n; i++)
                    if (RawEvent.decode(buf, i * RawEvent.SIZE).pid() == gen.pid()) received++;
            }
            return new Compat32(COMPAT32_CALLS, received, received == COMPAT32_CALLS ? null
                    : (COMPAT32_CALLS - received) + " 32-bit calls not recorded");
        } catch (Exception e) {
            return new Compat32(0, 0, firstLine(e.toString()));
        }
    }

    /** hostMisses: runs the kernel skipped of the probe's programs, whoever made the call (not failures: see life). */
    record Life(String caller, long calls, long events, long aggregated, long hostMisses, boolean unlinkedQueue, String problem) {
        boolean ok() {
            return problem == null;
        }

        String line(String release, AttachMode mode) {
            return String.format(Locale.ROOT, "life kernel=%s mode=%s caller=%s calls=%d events=%d aggregated=%d hostMisses=%d unlinkedQueue=%s result=%s",
                    release, mode.label(), caller, calls, events, aggregated, hostMisses, unlinkedQueue ? "yes" : "no",
                    ok() ? "ok" : "FAIL reason=" + problem);
        }
    }

    /**
     * The everyCall life, twice: per call (every call one event) and aggregated (the calls after the open other than
     * send and receive as events, those two counted in the kernel). Nothing may be lost by the probe's own count, and a
     * call may be missing only where the kernel's (host-wide) miss counts cover it.
     */
    static Life life(AttachMode mode, String program) {
        String caller = program.equals(MqGen.LIFE32) ? "32" : "64";
        if (!MqGen.available(program)) return new Life(caller, 0, 0, 0, 0, false, program + " is not built");
        String comm = program.length() > 15 ? program.substring(0, 15) : program;
        try {
            long calls = 0, events = 0, aggregated = 0, hostMisses = 0;
            boolean unlinkedQueue = false;
            for (AccessMode access : List.of(AccessMode.PER_CALL, AccessMode.AGGREGATE)) {
                try (MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().attachMode(mode).queueLife(true).accessMode(access)
                        .includeComms(Set.of(comm)).build())) {
                    p.attach(mode);
                    if (access == AccessMode.AGGREGATE) p.flushAccess();
                    String name = "mqtap-kb-life-" + caller + "-" + ProcessHandle.current().pid();
                    LifeRun run = MqLifeHelper.run(java.time.Duration.ofSeconds(60), MqLifeHelper.everyCall(name),
                            MqGen.binary(program).toString());
                    long transfers = run.count("send") + run.count("receive");
                    long others = run.count("unlink") + run.count("notify") + run.count("getsetattr");
                    long want = access == AccessMode.PER_CALL ? transfers + others : others;
                    List<QueueEvent> got = new ArrayList<>();
                    ByteBuffer buf = MqOpenProbe.allocateBuffer(256);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (got.size() < want && System.nanoTime() < deadline) {
                        int n = p.drain(buf, 100);
                        for (int i = 0; i < n; i++) {
                            QueueEvent e = RawEvent.decodeAny(buf, i * RawEvent.SIZE);
                            if (e.caller().pid() == run.pid() && !(e instanceof MqOpenEvent)) got.add(e);
                        }
                    }
                    calls = transfers + others;
                    if (access == AccessMode.PER_CALL) events = got.size();
                    // the probe's own losses fail the run; the kernel's miss counts are host-wide (a skipped run of a
                    // program for any process's open or thread exit counts too, common on PREEMPT_RT): a call may be
                    // missing only where they cover it
                    ProbeCounters c = p.counters();
                    long misses = c.lostTotal() - c.lostAtLeast();
                    hostMisses += misses;
                    if (c.lostAtLeast() > 0 || got.size() > want || got.size() + misses < want)
                        return new Life(caller, calls, events, aggregated, hostMisses, false, access.label() + ": " + got.size()
                                + " of " + want + " calls recorded, " + c.lostAtLeast() + " lost, " + c.losses());
                    unlinkedQueue = got.stream().anyMatch(e -> e instanceof MqUnlinkEvent u && u.returnValue() == 0 && u.queue() != null);
                    if (mode != AttachMode.TRACEPOINT && !unlinkedQueue)
                        return new Life(caller, calls, events, aggregated, hostMisses, false, "the unlink names no queue");
                    if (access == AccessMode.AGGREGATE) {
                        p.detach();
                        AccessWindow w = p.flushAccess();
                        aggregated = w.records().stream().filter(r -> r.pid() == run.pid()).mapToLong(AccessRecord::calls).sum();
                        // a call's program run the kernel skipped is counted there (host-wide): exact without misses
                        long missed = Math.max(0, p.counters().missesCalls()) + Math.max(0, p.counters().linkMissesCalls());
                        if (aggregated > transfers || aggregated + missed < transfers || w.send().any() || w.receive().any())
                            return new Life(caller, calls, events, aggregated, hostMisses, unlinkedQueue, aggregated + " of "
                                    + transfers + " sends and receives counted in the kernel, " + missed + " call misses");
                    }
                }
            }
            return new Life(caller, calls, events, aggregated, hostMisses, unlinkedQueue, null);
        } catch (ProbeLoadException e) {
            verifierTail(mode, e);
            return new Life(caller, 0, 0, 0, 0, false, firstLine(e.toString()));
        } catch (Exception e) {
            return new Life(caller, 0, 0, 0, 0, false, firstLine(e.toString()));
        }
    }

    /** The end of the verifier's log (where it says why) on stderr: a VM's kernel-bench.err is all that is left of it. */
    private static void verifierTail(AttachMode mode, ProbeLoadException e) {
        String log = e.verifierLog();
        if (log == null || log.isBlank()) return;
        List<String> lines = log.lines().toList();
        System.err.println("kernel-bench: " + mode.label() + " verifier log, last lines:");
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> System.err.println("  " + l));
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
