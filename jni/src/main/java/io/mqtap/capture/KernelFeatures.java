package io.mqtap.capture;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * What the running kernel says about itself: its build configuration ({@code /proc/config.gz} or
 * {@code /boot/config-<release>}), {@code /proc/kallsyms}, the lockdown state and the kprobe PMU.
 * From these alone, never from a failed attach, it predicts which attach modes can work and, for
 * those that can't, names the missing config option or symbol.
 */
public final class KernelFeatures {
    /** The outcome a mode should have on this kernel: {@code reason} is null when it should attach. */
    public record Expectation(AttachMode mode, String reason) {
        public boolean attaches() {
            return reason == null;
        }
    }

    private static final Set<String> SYMBOLS = Set.of("do_mq_open", "bpf_get_current_task_btf", "bpf_task_storage_get",
            "__ia32_compat_sys_mq_open", "__ia32_sys_mq_open", "compat_sys_mq_open", "bpf_rdonly_cast");

    private final String release;
    private final Map<String, String> config;
    private final String configSource;
    private final Set<String> symbols;
    private final String lockdown;
    private final boolean kprobePmu;
    private final String cmdline;

    KernelFeatures(String release, Map<String, String> config, String configSource, Set<String> symbols,
                   String lockdown, boolean kprobePmu, String cmdline) {
        this.release = release;
        this.config = config;
        this.configSource = configSource;
        this.symbols = symbols;
        this.lockdown = lockdown;
        this.kprobePmu = kprobePmu;
        this.cmdline = cmdline;
    }

    /** Reads this kernel's facts (kallsyms once: about 0.1 s). */
    public static KernelFeatures detect() {
        return detect(true);
    }

    private static KernelFeatures detect(boolean withSymbols) {
        String release = read(Path.of("/proc/sys/kernel/osrelease")).orElse("unknown").trim();
        Map<String, String> config = null;
        String source = null;
        for (Path p : new Path[] {Path.of("/proc/config.gz"), Path.of("/boot/config-" + release),
                Path.of("/lib/modules/" + release + "/config")}) {
            config = readConfig(p);
            if (config != null) {
                source = p.toString();
                break;
            }
        }
        String lockdown = read(Path.of("/sys/kernel/security/lockdown"))
                .map(s -> s.replaceAll(".*\\[(\\w+)].*", "$1").trim()).orElse(null);
        return new KernelFeatures(release, config, source, withSymbols ? kallsyms() : Set.of(), lockdown,
                Files.exists(Path.of("/sys/bus/event_source/devices/kprobe")),
                read(Path.of("/proc/cmdline")).orElse(""));
    }

    private static volatile String preemptionModel;

    /**
     * The running kernel's preemption model: "none", "voluntary", "full", "lazy" or "rt"; null when unknown.
     * From debugfs's sched/preempt when mounted, else PREEMPT_RT in the version, the {@code preempt=} boot
     * parameter, then the config's default.
     */
    public static String preemption() {
        String m = preemptionModel;
        if (m == null) preemptionModel = m = detect(false).preemptionOf(
                read(Path.of("/sys/kernel/debug/sched/preempt")).orElse(null),
                read(Path.of("/proc/sys/kernel/version")).orElse(""));
        return m.isEmpty() ? null : m;
    }

    String preemptionOf(String debugfs, String version) {
        if (version.contains("PREEMPT_RT") || enabled("CONFIG_PREEMPT_RT")) return "rt";
        if (debugfs != null && debugfs.matches("(?s).*\\((\\w+)\\).*")) return debugfs.replaceAll("(?s).*\\((\\w+)\\).*", "$1");
        for (String arg : cmdline.trim().split("\\s+"))
            if (arg.startsWith("preempt=") && config != null && enabled("CONFIG_PREEMPT_DYNAMIC")) return arg.substring(8);
        if (enabled("CONFIG_PREEMPT_LAZY")) return "lazy";
        if (enabled("CONFIG_PREEMPT")) return "full";
        if (enabled("CONFIG_PREEMPT_VOLUNTARY")) return "voluntary";
        if (enabled("CONFIG_PREEMPT_NONE")) return "none";
        return "";
    }

    /**
     * True where BPF tracing programs run preemptible (preemption "full", "lazy" or "rt"): fentry/fexit
     * runs that preempt each other on one CPU are then skipped by the kernel (lost, counted in
     * programMisses), so AUTO tries kprobes, which run with preemption off, before fentry.
     */
    public static boolean tracingPreemptible() {
        String m = preemption();
        return "full".equals(m) || "lazy".equals(m) || "rt".equals(m);
    }

    public String release() {
        return release;
    }

    /** True when the kernel's build configuration was found: without it nothing is predicted. */
    public boolean configKnown() {
        return config != null;
    }

    /** Where the configuration was read from, or null. */
    public String configSource() {
        return configSource;
    }

    /** The value of a config option ("y", "m", a string), or null when unset. */
    public String config(String option) {
        return config == null ? null : config.get(option);
    }

    private boolean enabled(String option) {
        String v = config(option);
        return "y".equals(v) || "m".equals(v);
    }

    public boolean hasSymbol(String name) {
        return symbols.contains(name);
    }

    /** "none", "integrity" or "confidentiality"; from securityfs, else what the config forces. */
    public String lockdown() {
        if (lockdown != null) return lockdown;
        if (enabled("CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY")) return "confidentiality";
        if (enabled("CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY")) return "integrity";
        return "none";
    }

    /** 32-bit x86 programs can run and make compat syscalls (CONFIG_IA32_EMULATION, not turned off at boot). */
    public boolean ia32Emulation() {
        if (!enabled("CONFIG_IA32_EMULATION")) return false;
        boolean off = enabled("CONFIG_IA32_EMULATION_DEFAULT_DISABLED");
        for (String arg : cmdline.trim().split("\\s+")) {
            if (arg.equals("ia32_emulation=0") || arg.equals("ia32_emulation=false") || arg.equals("ia32_emulation=n")) off = true;
            if (arg.equals("ia32_emulation=1") || arg.equals("ia32_emulation=true") || arg.equals("ia32_emulation=y")) off = false;
        }
        return !off;
    }

    /** Why ia32Emulation() is false, naming the config option or boot parameter. */
    public String ia32Reason() {
        if (!enabled("CONFIG_IA32_EMULATION")) return "CONFIG_IA32_EMULATION is not set";
        return ia32Emulation() ? null : "IA-32 emulation is off at boot (CONFIG_IA32_EMULATION_DEFAULT_DISABLED or ia32_emulation=0)";
    }

    /** What {@code mode} should do here, from config, kallsyms and lockdown; requires {@link #configKnown()}. */
    public Expectation expect(AttachMode mode) {
        if (!configKnown()) throw new IllegalStateException("no kernel config found for " + release);
        String why = switch (mode) {
            case FENTRY -> !enabled("CONFIG_DEBUG_INFO_BTF") ? "CONFIG_DEBUG_INFO_BTF is not set"
                    : !enabled("CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS") ? "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS is not set (no BPF trampolines)"
                    : !hasSymbol("do_mq_open") ? "do_mq_open is not in /proc/kallsyms (inlined)"
                    : !lockdown().equals("none") ? "lockdown=" + lockdown() + " refuses tracing programs (" + lockdownSource() + ")"
                    : null;
            case KPROBE -> !enabled("CONFIG_KPROBES") ? "CONFIG_KPROBES is not set"
                    : !enabled("CONFIG_KPROBE_EVENTS") ? "CONFIG_KPROBE_EVENTS is not set"
                    : !hasSymbol("do_mq_open") ? "do_mq_open is not in /proc/kallsyms (inlined)"
                    : null;
            case TRACEPOINT -> !enabled("CONFIG_FTRACE_SYSCALLS") ? "CONFIG_FTRACE_SYSCALLS is not set" : null;
            case AUTO -> throw new IllegalArgumentException("expect: a concrete mode, not auto");
        };
        return new Expectation(mode, why);
    }

    /** The mode AUTO should land on: the cheapest that should attach (kprobe first where {@link #tracingPreemptible()}); empty when none should. */
    public Optional<AttachMode> expectedAuto() {
        AttachMode[] order = tracingPreemptible()
                ? new AttachMode[] {AttachMode.KPROBE, AttachMode.FENTRY, AttachMode.TRACEPOINT}
                : new AttachMode[] {AttachMode.FENTRY, AttachMode.KPROBE, AttachMode.TRACEPOINT};
        for (AttachMode m : order)
            if (expect(m).attaches()) return Optional.of(m);
        return Optional.empty();
    }

    /** The kernel features the probe should use in {@code mode} (libbpf probes them; these symbols say the same). */
    public Set<ProbeFeature> expectedProbeFeatures(AttachMode mode) {
        Set<ProbeFeature> s = new HashSet<>();
        if (mode == AttachMode.TRACEPOINT && (hasSymbol("__ia32_compat_sys_mq_open") || hasSymbol("__ia32_sys_mq_open")))
            s.add(ProbeFeature.COMPAT32_HOOKS);
        if (hasSymbol("bpf_get_current_task_btf")) s.add(ProbeFeature.TASK_BTF);
        if (hasSymbol("bpf_task_storage_get") && hasSymbol("bpf_get_current_task_btf")) s.add(ProbeFeature.TASK_STORAGE);
        if (hasSymbol("bpf_rdonly_cast") && hasSymbol("bpf_get_current_task_btf")) s.add(ProbeFeature.RDONLY_CAST);
        return s;
    }

    private String lockdownSource() {
        return lockdown != null ? "/sys/kernel/security/lockdown" : "forced by the kernel config";
    }

    @Override
    public String toString() {
        return "kernel " + release + " (config " + (configSource == null ? "not found" : configSource) + ", lockdown "
                + lockdown() + ")";
    }

    private static Optional<String> read(Path p) {
        try {
            return Optional.of(Files.readString(p));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    static Map<String, String> readConfig(Path p) {
        if (!Files.isReadable(p)) return null;
        try (InputStream raw = Files.newInputStream(p);
             InputStream in = p.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return parseConfig(r);
        } catch (IOException e) {
            return null;
        }
    }

    static Map<String, String> parseConfig(BufferedReader r) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String line; (line = r.readLine()) != null; ) {
            if (line.startsWith("#") || !line.startsWith("CONFIG_")) continue;
            int eq = line.indexOf('=');
            if (eq > 0) m.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", ""));
        }
        return m;
    }

    private static Set<String> kallsyms() {
        Set<String> found = new HashSet<>();
        try (BufferedReader r = Files.newBufferedReader(Path.of("/proc/kallsyms"), StandardCharsets.ISO_8859_1)) {
            for (String line; (line = r.readLine()) != null; ) {
                int sp = line.lastIndexOf(' ');
                String name = line.substring(sp + 1);
                int tab = name.indexOf('\t'); // module symbols: "name\t[module]"
                if (tab >= 0) name = name.substring(0, tab);
                if (SYMBOLS.contains(name)) found.add(name);
            }
        } catch (IOException e) {
            // no kallsyms: every symbol reads as missing, and the reasons say so
        }
        return found;
    }
}
