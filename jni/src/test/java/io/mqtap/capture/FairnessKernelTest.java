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

    /**
     * Per cgroup: one budget for every uid of a cgroup (a second uid there is held back while the first floods), none
     * shared with another cgroup (whose uid is emitted whole beside the flood). The accounts stay per uid.
     */
    @Test
    void perCgroupTheBudgetIsTheCgroupsNotTheUids() throws Exception {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.GENERATOR), "mqgen is not built");
        Kernel.assume(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux) is missing");
        Path root = cgroup2Root();
        Kernel.assume(root != null, "no cgroup v2 hierarchy is mounted");
        long flooder = 56_000 + ThreadLocalRandom.current().nextInt(1_000) * 3, neighbour = flooder + 1, apart = flooder + 2;
        String tag = Long.toString(flooder);
        Path shared = Files.createDirectory(root.resolve("mqtap-fair-shared-" + tag)), other = Files.createDirectory(root.resolve("mqtap-fair-apart-" + tag));
        ProbeOptions options = ProbeOptions.builder().fairness(RATE, BURST, true).includeUids(Set.of(flooder, neighbour, apart)).build();
        try (MqOpenProbe probe = MqOpenProbe.open(options)) {
            AttachMode mode = probe.attach(AttachMode.parse(System.getProperty("mqtap.test.attachMode", "auto"))).attached();
            long t0 = System.nanoTime();
            // the flood lasts long enough to cover the two others' calls (0.5 s each) even where processes start slowly
            Captured.Result<List<MqOpenGenerator.Result>> r = Captured.during(probe, () -> {
                Process flood = in(shared, flooder, "--calls", "0", "--duration-ms", "3000");
                Process next = in(shared, neighbour, "--calls", "100", "--rate", "200");
                Process away = in(other, apart, "--calls", "100", "--rate", "200");
                return List.of(MqOpenGenerator.await(flood), MqOpenGenerator.await(next), MqOpenGenerator.await(away));
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            long[] calls = r.value().stream().mapToLong(MqOpenGenerator.Result::calls).toArray();
            Map<Long, Long> emitted = r.events().stream().collect(Collectors.groupingBy(MqOpenEvent::uid, Collectors.counting()));
            Map<Long, Set<Long>> cgroups = r.events().stream().collect(Collectors.groupingBy(MqOpenEvent::uid,
                    Collectors.mapping(MqOpenEvent::cgroupId, Collectors.toSet())));
            Map<Long, FairAccount> accounts = probe.fairAccounts().stream().collect(Collectors.toMap(FairAccount::uid, a -> a));
            ProbeCounters c = probe.counters();
            String state = mode.label() + ": calls " + java.util.Arrays.toString(calls) + ", emitted " + emitted + ", accounts "
                    + accounts.values() + ", " + c + " in " + seconds + " s";
            FairAccount f = accounts.get(flooder), n = accounts.get(neighbour);

            assertThat(calls[1]).isEqualTo(100);
            assertThat(calls[2]).isEqualTo(100);
            // the callers ran where the test put them (else this says nothing about the cgroup's budget)
            assertThat(cgroups.get(flooder)).as(state).containsExactly(inode(shared));
            assertThat(cgroups.get(apart)).as(state).containsExactly(inode(other));
            // the flooder's cgroup spent the neighbour's budget too; the other cgroup's uid had its own, whole
            assertThat(f).as("the flooder's account; " + state).isNotNull();
            assertThat(n).as("the neighbour's account: held back with the flooder; " + state).isNotNull();
            assertThat(n.suppressed()).as(state).isPositive();
            assertThat(accounts).as(state).doesNotContainKey(apart);
            assertThat(c.suppressed()).as(state).isEqualTo(f.suppressed() + n.suppressed());
            assertThat(c.lostKernel()).as(state).isEqualTo(f.lost() + n.lost());
            assertThat(c.unattributed()).as(state).isZero();
            // one budget for the two uids of the shared cgroup: the burst, then the rate
            long admittedShared = emitted.getOrDefault(flooder, 0L) + f.lost() + emitted.getOrDefault(neighbour, 0L) + n.lost();
            assertThat(admittedShared).as(state).isBetween(BURST, BURST + (long) Math.ceil(RATE * (seconds + 1)));
            // every call of the three counted once: exact where the kernel skipped no program run
            long emittedApart = emitted.getOrDefault(apart, 0L);
            assertThat(emittedApart).as(state).isLessThanOrEqualTo(calls[2]);
            assertThat(emitted.getOrDefault(flooder, 0L) + f.suppressed() + f.lost()).as(state).isLessThanOrEqualTo(calls[0]);
            assertThat(emitted.getOrDefault(neighbour, 0L) + n.suppressed() + n.lost()).as(state).isLessThanOrEqualTo(calls[1]);
            LossBounds.assertAccounted("per cgroup", emitted.values().stream().mapToLong(Long::longValue).sum() + f.suppressed()
                    + n.suppressed(), c, calls[0] + calls[1] + calls[2]);
        } finally {
            removeCgroup(shared);
            removeCgroup(other);
        }
    }

    /** Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host), or null. */
    private static Path cgroup2Root() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 2 && f[2].equals("cgroup2")) return Path.of(f[1]);
        }
        return null;
    }

    /** Removes a test cgroup once its callers have exited (one still inside, after a failure, keeps it: not masked). */
    private static void removeCgroup(Path cgroup) {
        try {
            Files.deleteIfExists(cgroup);
        } catch (java.io.IOException e) {
            System.err.println("FairnessKernelTest: " + cgroup + " not removed: " + e);
        }
    }

    /** A cgroup v2 id as the kernel reports it: its directory's inode number. */
    private static long inode(Path cgroup) throws java.io.IOException {
        return (Long) Files.getAttribute(cgroup, "unix:ino");
    }

    @TempDir static Path dir;

    /**
     * The generator as {@code uid} (no such user needed: setpriv takes the number), from a copy named fair-gen: other
     * tests on this machine count mq_open_gen's calls by its comm, and must not count these.
     */
    private static Process as(long uid, String... args) throws java.io.IOException {
        return in(null, uid, args);
    }

    /**
     * As {@link #as}, moved into {@code cgroup} (a cgroup v2 directory) first when it is not null (by bash: the cloud
     * kernels' VM image has no sh).
     */
    private static Process in(Path cgroup, long uid, String... args) throws java.io.IOException {
        Path copy = dir.resolve("fair-gen");
        if (!Files.exists(copy)) {
            Files.copy(MqGen.binary(MqGen.GENERATOR), copy);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<String> cmd = new ArrayList<>();
        if (cgroup != null) cmd.addAll(List.of("bash", "-c", "echo $$ > \"$0\"/cgroup.procs && exec \"$@\"", cgroup.toString()));
        cmd.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", copy.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
