package io.mqtap.bench.capture;

import io.mqtap.capture.AttachMode;
import io.mqtap.capture.MqOpenProbe;
import io.mqtap.capture.ProbeOptions;
import io.mqtap.capture.ProgramStats;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.mqgen.MqOpenGenerator.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./mqtap bench capture --field-costs}: what each group of the record's fields costs inside the
 * kernel, as the kernel's own run time of the entry and exit programs (BPF_ENABLE_STATS), which moves
 * far less with the machine's load than call rates do. For each group, bursts with every field and
 * bursts with that group left unread alternate; the cost is the difference of the median run times.
 * Failing calls (ENOENT) for the caller's fields; successful opens of an existing queue for the queue's.
 */
final class FieldCosts {
    private FieldCosts() {}

    record Group(String name, int mask, boolean succeeding) {}

    static final List<Group> GROUPS = List.of(
            new Group("euid, fsuid, userNs, loginUid", ProbeOptions.SKIP_CREDS, false),
            new Group("ipcNs", ProbeOptions.SKIP_IPC_NS, false),
            new Group("nsTid", ProbeOptions.SKIP_NS_TID, false),
            new Group("processStartNs", ProbeOptions.SKIP_START, false),
            new Group("exe", ProbeOptions.SKIP_EXE, false),
            new Group("all of the above", 0x1f, false),
            new Group("kernelName, queue fields, created (successes)", ProbeOptions.SKIP_QUEUE, true));

    /** enter + exit ns per call of one burst with these options. */
    static double[] burst(ProbeOptions opts, AttachMode mode, long calls, boolean succeeding) throws Exception {
        try (MqOpenProbe probe = MqOpenProbe.open(opts)) {
            probe.attach(mode);
            CaptureBench.Reader reader = new CaptureBench.Reader(probe);
            reader.setDaemon(true);
            reader.start();
            ProgramStats before = probe.programStats();
            MqOpenGenerator.run(succeeding ? Options.successBurst(calls) : Options.burst(calls));
            ProgramStats d = probe.programStats().minus(before);
            reader.stop = true;
            reader.join();
            return new double[] {d.nanosPerRun("enter"), d.nanosPerRun("exit")};
        }
    }

    static void run(ProbeOptions base, AttachMode mode, long calls, int runs) throws Exception {
        System.out.printf(Locale.ROOT, "field costs: %,d calls per burst, %d alternations per group, BPF run time per call%n",
                calls, Math.max(3, runs));
        try (AutoCloseable stats = MqOpenProbe.enableRunTimeStats()) {
            for (Group g : GROUPS) {
                List<Double> with = new ArrayList<>(), without = new ArrayList<>();
                List<Double> withEnter = new ArrayList<>(), withoutEnter = new ArrayList<>();
                for (int r = 0; r < Math.max(3, runs); r++) {
                    double[] w = burst(base, mode, calls, g.succeeding());
                    double[] wo = burst(base.toBuilder().skipFieldsForBenchmark(g.mask()).build(), mode, calls, g.succeeding());
                    with.add(w[0] + w[1]);
                    without.add(wo[0] + wo[1]);
                    withEnter.add(w[0]);
                    withoutEnter.add(wo[0]);
                }
                double a = median(with), b = median(without);
                System.out.printf(Locale.ROOT, "%-48s with %4.0f ns (enter %4.0f), without %4.0f ns (enter %4.0f): costs %4.0f ns per call%n",
                        g.name(), a, median(withEnter), b, median(withoutEnter), a - b);
            }
        }
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2);
    }
}
