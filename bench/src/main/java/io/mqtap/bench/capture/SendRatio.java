package io.mqtap.bench.capture;

import io.mqtap.capture.AccessMode;
import io.mqtap.capture.AccessRecord;
import io.mqtap.capture.AccessWindow;
import io.mqtap.capture.AttachMode;
import io.mqtap.capture.MqOpenProbe;
import io.mqtap.capture.MqTransferEvent;
import io.mqtap.capture.ProbeOptions;
import io.mqtap.capture.QueueEvent;
import io.mqtap.capture.RawEvent;
import io.mqtap.testkit.mqgen.LifeSummary;
import io.mqtap.testkit.mqgen.MqLifeHelper;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What tracing send costs the sender: mq_life_helper's transfer (N mq_timedsend of a 64-byte message on one thread
 * while another thread receives them from the same queue) untraced, traced with the queue life hooks counting in the
 * kernel (aggregation, the default) and traced per call (one event per send and receive, drained and decoded by a
 * Java reader as the producer's). Each traced run also checks that every send was recorded: counted exactly
 * (aggregation) or received or counted lost (per call). Prints {@code send-ratio=<aggregated/untraced sends/s>
 * send-ratio-per-call=<per call/untraced>} for the median runs.
 */
final class SendRatio {
    private static final int SIZE = 64;

    private SendRatio() {}

    record Burst(double sendsPerSec, long sends) {}

    static void run(ProbeOptions opts, AttachMode mode, long calls, int runs) throws Exception {
        List<Double> aggregated = new ArrayList<>(), perCall = new ArrayList<>();
        for (int r = 1; r <= runs; r++) {
            Burst untraced = burstAs(comm("sr-u"), calls);
            Burst agg = traced(opts, mode, AccessMode.AGGREGATE, calls);
            Burst each = traced(opts, mode, AccessMode.PER_CALL, calls);
            aggregated.add(agg.sendsPerSec() / untraced.sendsPerSec());
            perCall.add(each.sendsPerSec() / untraced.sendsPerSec());
            System.out.printf(Locale.ROOT, "send run %d: untraced %,.0f sends/s; aggregated %,.0f (ratio %.3f); per call %,.0f (ratio %.3f)%n",
                    r, untraced.sendsPerSec(), agg.sendsPerSec(), aggregated.get(r - 1), each.sendsPerSec(), perCall.get(r - 1));
        }
        aggregated.sort(null);
        perCall.sort(null);
        System.out.printf(Locale.ROOT, "send-ratio=%.2f send-ratio-per-call=%.2f sends=%d%n", aggregated.get(runs / 2),
                perCall.get(runs / 2), calls);
    }

    private static volatile long lastPid;

    /** A transfer with the probe attached in this access mode, filtered on a comm the next burst takes. */
    private static Burst traced(ProbeOptions opts, AttachMode mode, AccessMode access, long calls) throws Exception {
        // the comm is decided before the burst: the filter must hold it when the probe loads
        String comm = comm(access == AccessMode.AGGREGATE ? "sr-a" : "sr-p");
        ProbeOptions traced = opts.toBuilder().queueLife(true).accessMode(access).includeComms(Set.of(comm)).build();
        try (MqOpenProbe probe = MqOpenProbe.open(traced)) {
            probe.attach(mode);
            probe.flushAccess(); // an empty window: the next one holds the burst alone
            Drainer drainer = new Drainer(probe, comm);
            drainer.setDaemon(true);
            drainer.start();
            long lostBefore = probe.counters().lostTotal();
            Burst b = burstAs(comm, calls);
            if (access == AccessMode.AGGREGATE) {
                probe.detach();
                AccessWindow w = probe.flushAccess();
                long counted = w.records().stream().filter(a -> a.send() && a.pid() == lastPid).mapToLong(AccessRecord::calls).sum()
                        + w.send().calls();
                drainer.stop = true;
                drainer.join();
                if (counted != calls) throw new IllegalStateException("aggregate: " + counted + " of " + calls + " sends counted");
            } else {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (drainer.sends.get() + probe.counters().lostTotal() - lostBefore < calls && System.nanoTime() < deadline)
                    Thread.sleep(5);
                probe.detach();
                drainer.stop = true;
                drainer.join();
                // lost events are not told apart by call: lost counts the receives' events too
                long sends = drainer.sends.get(), lost = probe.counters().lostTotal() - lostBefore;
                if (sends > calls || sends + lost < calls)
                    throw new IllegalStateException("perCall: " + sends + " of " + calls + " sends received, " + lost + " events lost");
                System.out.printf(Locale.ROOT, "  per call: %,d of %,d sends received, %,d events lost in the kernel (sends and receives)%n",
                        sends, calls, lost);
            }
            if (drainer.failure != null) throw drainer.failure;
            return b;
        }
    }

    /** A comm of the bench's own (at most 15 bytes): the probe records only the burst's calls. */
    private static String comm(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 8);
    }

    /** One transfer under {@code comm}; the sends' rate as the helper timed them. */
    private static Burst burstAs(String comm, long calls) throws Exception {
        String name = "mqtap-bench-send-" + comm;
        MqLifeHelper.LifeRun run = MqLifeHelper.run(Duration.ofMinutes(10), List.of("comm=" + comm,
                "open q name=" + name + " oflag=RDWR|CREAT attr=10," + SIZE, "transfer q q count=" + calls + " size=" + SIZE,
                "unlink name=" + name));
        LifeSummary s = run.summaries().stream().filter(x -> x.call().equals("send")).findFirst()
                .orElseThrow(() -> new IllegalStateException("the transfer printed no summary: " + run.stderr()));
        if (s.ok() != calls) throw new IllegalStateException(s.ok() + " of " + calls + " sends succeeded: " + s);
        lastPid = run.pid();
        return new Burst(s.calls() / (s.elapsedNs() / 1e9), s.calls());
    }

    /** Drains and decodes every event, as the producer's reader does, counting the sends of the burst's comm. */
    private static final class Drainer extends Thread {
        private final MqOpenProbe probe;
        private final String comm;
        private final ByteBuffer buf = MqOpenProbe.allocateBuffer(2048);
        final AtomicLong sends = new AtomicLong();
        volatile boolean stop;
        volatile Exception failure;

        Drainer(MqOpenProbe probe, String comm) {
            super("send-ratio-reader");
            this.probe = probe;
            this.comm = comm;
        }

        @Override
        public void run() {
            try {
                while (!stop) {
                    int n = probe.drain(buf, 100);
                    for (int i = 0; i < n; i++) {
                        QueueEvent e = RawEvent.decodeAny(buf, i * RawEvent.SIZE);
                        if (e instanceof MqTransferEvent t && t.send() && t.caller().comm().equals(comm)) sends.incrementAndGet();
                    }
                }
            } catch (Exception e) {
                failure = e;
            }
        }
    }
}
