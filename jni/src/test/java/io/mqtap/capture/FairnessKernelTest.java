package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-user fairness in the kernel: a flooder uid making failing mq_open calls as fast as it can beside a victim uid
 * making a few. Every victim call is emitted; the flooder gets its burst and its rate, the rest of its calls are
 * counted for its uid; and emitted + suppressed + lost equals each side's own count of its calls, exactly where the
 * kernel skipped no program run (its miss counts are host-wide upper bounds: {@link LossBounds}).
 * The hook set is AUTO unless {@code -Dmqtap.test.attachMode} names one (fairness sits in the one emit path every set
 * shares).
 */
@Tag("kernel")
class FairnessKernelTest {
    private static final long RATE = 500, BURST = 200;

    @Test
    void aFlooderIsHeldToItsBudgetAndEveryOneOfItsCallsIsCounted() throws Exception {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.GENERATOR), "mqgen is not built");
        Kernel.assume(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) is missing");
        long flooder = 60_000 + ThreadLocalRandom.current().nextInt(4_000) * 2, victim = flooder + 1; // uids nobody else uses
        ProbeOptions options = ProbeOptions.builder().fairness(RATE, BURST, false).includeUids(Set.of(flooder, victim)).build();
        try (MqOpenProbe probe = MqOpenProbe.open(options)) {
            AttachMode mode = probe.attach(AttachMode.parse(System.getProperty("mqtap.test.attachMode", "auto"))).attached();
            long t0 = System.nanoTime();
            Captured.Result<List<MqOpenGenerator.Result>> r = Captured.during(probe, () -> {
                Process flood = as(flooder, "--calls", "30000");
                Process calm = as(victim, "--calls", "100", "--rate", "200");
                return List.of(MqOpenGenerator.await(flood), MqOpenGenerator.await(calm));
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            long flooderCalls = r.value().get(0).calls(), victimCalls = r.value().get(1).calls();
            Map<Long, Long> emitted = r.events().stream().collect(Collectors.groupingBy(MqOpenEvent::uid, Collectors.counting()));
            Map<Long, FairAccount> accounts = probe.fairAccounts().stream().collect(Collectors.toMap(FairAccount::uid, a -> a));
            ProbeCounters c = probe.counters();
            FairAccount f = accounts.get(flooder);
            long emittedFlooder = emitted.getOrDefault(flooder, 0L), emittedVictim = emitted.getOrDefault(victim, 0L);
            String state = mode.label() + ": emitted " + emitted + ", accounts " + accounts.values() + ", " + c + " in " + seconds + " s";

            assertThat(victimCalls).isEqualTo(100);
            // fairness never held a victim call back, and the buffer lost none of them
            assertThat(accounts).as(state).doesNotContainKey(victim);
            assertThat(f).as("the flooder's account; " + state).isNotNull();
            assertThat(f.suppressed()).as(state).isPositive();
            assertThat(c.suppressed()).as(state).isEqualTo(f.suppressed());
            // the filters let only the two uids through, so every output failure is the flooder's, attributed to it
            assertThat(c.lostKernel()).as(state).isEqualTo(f.lost());
            assertThat(c.unattributed()).as(state).isZero();
            // each side's calls: emitted, suppressed or lost for its uid (each at most once) ...
            assertThat(emittedVictim).as("victim; " + state).isLessThanOrEqualTo(victimCalls);
            assertThat(emittedFlooder + f.suppressed() + f.lost()).as("flooder; " + state).isLessThanOrEqualTo(flooderCalls);
            // ... and every call of both counted: exact (so every victim call emitted) unless the kernel skipped
            // program runs, whose host-wide counts are only an upper bound of the calls it took from the two
            LossBounds.assertAccounted("flooder and victim", emittedFlooder + f.suppressed() + emittedVictim, c,
                    flooderCalls + victimCalls);
            // its budget: the burst, then the rate (a single-threaded flooder leaves no room for races between CPUs);
            // an event the buffer then lost had taken its token too
            assertThat(emittedFlooder + f.lost()).as(state).isBetween(BURST, BURST + (long) Math.ceil(RATE * (seconds + 1)));
            assertThat(f.firstBootNanos()).as(state).isPositive().isLessThanOrEqualTo(f.lastBootNanos());

            // switched off while attached: the next flood is emitted whole
            probe.updateFairness(ProbeOptions.builder().build());
            Captured.Result<MqOpenGenerator.Result> free = Captured.during(probe, () -> MqOpenGenerator.await(as(flooder, "--calls", "2000")));
            ProbeCounters after = probe.counters();
            LossBounds.assertAccounted("fairness off", free.events().stream().filter(e -> e.uid() == flooder).count(), c, after,
                    free.value().calls());
            assertThat(after.suppressed()).as("fairness off: nothing suppressed; " + after).isEqualTo(c.suppressed());
            assertThat(probe.fairAccounts().stream().filter(a -> a.uid() == flooder).findFirst().orElseThrow().suppressed())
                    .isEqualTo(f.suppressed());
        }
    }

    @TempDir static Path dir;

    /**
     * The generator as {@code uid} (no such user needed: setpriv takes the number), from a copy named fair-gen: other
     * tests on this machine count mq_open_gen's calls by its comm, and must not count these.
     */
    private static Process as(long uid, String... args) throws java.io.IOException {
        Path copy = dir.resolve("fair-gen");
        if (!Files.exists(copy)) {
            Files.copy(MqGen.binary(MqGen.GENERATOR), copy);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", copy.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
