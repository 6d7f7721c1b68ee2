package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.mqgen.MqOpenHelper.HelperRun;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A drain stops at the buffer's limit, and closes from several threads at once free the probe once. */
@Tag("kernel")
class DrainAndCloseKernelTest {
    private static final Set<String> HELPER = Set.of("mq_open_helper");
    private static final int CALLS = 50, LIMIT = 3;

    @BeforeEach
    void kernel() {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.HELPER), "mq_open_helper is not built");
    }

    /** The calls are all buffered before the first drain, so every drain could fill the whole buffer. */
    private static void drainsStopAtTheLimit(ProbeOptions options) throws Exception {
        try (MqOpenProbe p = MqOpenProbe.open(options)) {
            p.attach(AttachMode.AUTO);
            HelperRun run = MqOpenHelper.run("name=mqtap-t-limit repeat=" + CALLS + " quiet");
            ByteBuffer buf = MqOpenProbe.allocateBuffer(64);
            buf.limit(LIMIT * RawEvent.SIZE);
            List<Integer> sizes = new ArrayList<>();
            int[] got = {0};
            await("every call").atMost(Duration.ofSeconds(10)).pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(() -> {
                        int n = p.drain(buf, 50);
                        sizes.add(n);
                        for (int i = 0; i < n; i++) if (RawEvent.decode(buf, i * RawEvent.SIZE).pid() == run.pid()) got[0]++;
                        return got[0] >= CALLS;
                    });
            assertThat(got[0]).as("every call arrives").isEqualTo(CALLS);
            assertThat(sizes).as("records per drain").allMatch(n -> n <= LIMIT).contains(LIMIT);
            assertThat(buf.limit()).as("the limit is left as it was").isEqualTo(LIMIT * RawEvent.SIZE);
        }
    }

    @Test
    void aDrainFillsOnlyUpToTheLimitStaged() throws Exception {
        drainsStopAtTheLimit(ProbeOptions.builder().includeComms(HELPER).build());
    }

    @Test
    void aDrainFillsOnlyUpToTheLimitRingBufferUnstaged() throws Exception {
        // the ring buffer path keeps the one record that did not fit for the next drain
        drainsStopAtTheLimit(ProbeOptions.builder().transport(Transport.RING_BUFFER).stagingEvents(0)
                .includeComms(HELPER).build());
    }

    @Test
    void concurrentClosesWithADrainWaitingFreeOnce() throws Exception {
        int closers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(closers + 1);
        try {
            for (int round = 0; round < 5; round++) {
                MqOpenProbe p = MqOpenProbe.open(ProbeOptions.builder().includeComms(HELPER).build());
                p.attach(AttachMode.AUTO);
                Future<Integer> drain = pool.submit(() -> p.drain(MqOpenProbe.allocateBuffer(8), 10_000));
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> closes = new ArrayList<>();
                for (int i = 0; i < closers; i++) closes.add(pool.submit(() -> {
                    go.await();
                    p.close();
                    // every close returns only once the probe is closed
                    assertThat(p.attachedMode()).isNull();
                    assertThat(p.loadedMode()).isNull();
                    return null;
                }));
                go.countDown();
                for (Future<?> c : closes) c.get(10, TimeUnit.SECONDS);
                assertThat(drain.get(10, TimeUnit.SECONDS)).as("the waiting drain returns empty").isZero();
                assertThat(p.counters()).isNotNull();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
