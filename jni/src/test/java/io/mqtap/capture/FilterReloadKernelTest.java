package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenGenerator;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.FutureTask;
import java.util.function.LongSupplier;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The filters replaced in the kernel while the probe stays attached (what a SIGHUP reload does): each new set
 * takes effect, and a generator the filters never exclude loses nothing across the replacements.
 */
@Tag("kernel")
class FilterReloadKernelTest {
    /** Every event, drained by one thread for the whole test (two drainers would take each other's events). */
    private final List<MqOpenEvent> seen = java.util.Collections.synchronizedList(new ArrayList<>());

    /** The helper's (or its as= child's) events for one call with {@code step}, e.g. "name=x as=nobody". */
    private long helperEvents(String step) throws Exception {
        return helperEvents(step, 0);
    }

    /** As above; the {@code expected} events are awaited first (up to 10 s), since under emulation 300 ms was too short. */
    private long helperEvents(String step, int expected) throws Exception {
        MqOpenHelper.HelperRun run = MqOpenHelper.run(step);
        LongSupplier count = () -> {
            synchronized (seen) {
                return seen.stream().filter(e -> e.pid() == run.pid() || e.ppid() == run.pid()).count();
            }
        };
        try {
            if (expected > 0) await().atMost(Duration.ofSeconds(10)).until(() -> count.getAsLong() >= expected);
        } catch (ConditionTimeoutException e) {
            // the caller's assertion says how many arrived
        }
        Thread.sleep(300); // several drain intervals: an event the kernel emitted (or one too many) has been read by now
        return count.getAsLong();
    }

    @Test
    void newFiltersTakeEffectInPlaceAndNothingElseIsMissed() throws Exception {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.HELPER) && MqGen.available(MqGen.GENERATOR), "mqgen is not built");
        String id = UUID.randomUUID().toString().substring(0, 8);
        String q = "name=reload-" + id;
        ProbeOptions start = ProbeOptions.builder().perCpuPages(256).excludeComms(Set.of("mq_open_helper")).build();
        try (MqOpenProbe probe = MqOpenProbe.open(start)) {
            probe.attach(AttachMode.AUTO);
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            Thread drainer = new Thread(() -> {
                try {
                    while (!done.get()) seen.addAll(Captured.collect(probe, e -> true, Integer.MAX_VALUE, 50));
                } catch (ProbeException e) {
                    throw new IllegalStateException(e);
                }
            });
            drainer.start();
            assertThat(helperEvents(q)).as("excluded at start").isZero();

            // a steady generator runs through every replacement below; no filter ever concerns it
            Process gen = MqOpenGenerator.start(new MqOpenGenerator.Options(0, 2_000, 6_000, "keep-gen-" + id, false));
            FutureTask<MqOpenGenerator.Result> result = new FutureTask<>(() -> MqOpenGenerator.await(gen));
            new Thread(result).start();

            Thread.sleep(500);
            probe.updateFilters(ProbeOptions.builder().build());
            assertThat(helperEvents(q, 1)).as("nothing excluded").isEqualTo(1);
            probe.updateFilters(ProbeOptions.builder().includeComms(Set.of("mq_open_gen", "mq_open_helper")).namePrefix("keep-").build());
            assertThat(helperEvents(q)).as("a prefix the name lacks").isZero();
            assertThat(helperEvents("name=keep-" + id, 1)).as("a prefix the name has").isEqualTo(1);
            probe.updateFilters(ProbeOptions.builder().excludeUids(Set.of(65534L)).build());
            assertThat(helperEvents(q + " as=nobody")).as("uid 65534 excluded").isZero();
            assertThat(helperEvents(q, 1)).as("uid 0 not").isEqualTo(1);
            probe.updateFilters(ProbeOptions.builder().includeComms(Set.of("mq_open_gen")).build());
            assertThat(probe.options().includeComms()).containsExactly("mq_open_gen");
            assertThat(probe.options().perCpuPages()).isEqualTo(256);

            MqOpenGenerator.Result r = result.get();
            Thread.sleep(300);
            done.set(true);
            drainer.join();
            seen.addAll(Captured.drainAll(probe, e -> true));
            long generator = seen.stream().filter(e -> e.pid() == gen.pid()).count();
            ProbeCounters c = probe.counters();
            // exact where nothing was lost; the probe has no comm filter here, so its counts may include other processes'
            // losses (a kernel's program misses on a preemptible kernel): then the generator's calls must be covered
            assertThat(generator).as("never more than the generator's calls, " + c).isLessThanOrEqualTo(r.calls());
            assertThat(generator + c.lostTotal()).as("every generator call across the replacements recorded or counted lost, " + c)
                    .isGreaterThanOrEqualTo(r.calls());
            if (c.lostTotal() == 0) assertThat(generator).isEqualTo(r.calls());
        }
    }
}
