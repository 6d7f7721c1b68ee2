package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqAccess;
import io.mqtap.avro.MqNotify;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqSetAttr;
import io.mqtap.avro.MqTransfer;
import io.mqtap.avro.MqUnlink;
import io.mqtap.capture.Errnos;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.LifeCall;
import io.mqtap.testkit.mqgen.MqLifeHelper;
import io.mqtap.testkit.mqgen.MqLifeHelper.LifeRun;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A queue's whole life through the service (real probe, broker and registry): every call after the open arrives on
 * its own topic, field by field as the helper made it, sends and receives counted exactly, a full aggregation map
 * published as overflow, and every record of the run numbered from one counter across the topics. Each test runs its
 * own producer, stopped before reading, so the last access window is in Kafka too.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueueLifeEndToEndTest {
    private KafkaBroker broker;
    private SchemaRegistryServer registry;

    @BeforeAll
    void start() throws Exception {
        Kernel.assumeBpf();
        broker = KafkaBroker.start();
        registry = SchemaRegistryServer.shared();
    }

    @AfterAll
    void stop() {
        if (broker != null) broker.close();
    }

    /** A comm of this test's own (at most 15 bytes): the probe records only the helper's calls under it. */
    private static String comm() {
        return "ql" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** kernel: the probe's counters after the stop. */
    private record Captured(String runId, List<SpecificRecord> records, io.mqtap.capture.ProbeCounters kernel) {
        <T> List<T> of(Class<T> type, long pid) {
            return records.stream().filter(type::isInstance).map(type::cast)
                    .filter(r -> ((Long) ((SpecificRecordBase) r).get("pid")) != null
                            && ((Long) ((SpecificRecordBase) r).get("pid")) == pid)
                    .toList();
        }

        <T> List<T> all(Class<T> type) {
            return records.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    /** Runs the steps under a producer of their own with these settings, stops it, and reads what it published. */
    private Captured capture(Map<String, String> settings, String comm, List<String> steps, LifeRun[] run) throws Exception {
        return capture(settings, comm, steps, run, true);
    }

    /** callsRecorded: the kernel skipped none of the calls' programs (false where a test makes it skip them). */
    private Captured capture(Map<String, String> settings, String comm, List<String> steps, LifeRun[] run,
                             boolean callsRecorded) throws Exception {
        ProducerApp.Builder b = ProducerApp.of(broker.bootstrapServers(), registry.url())
                .editConfig(c -> c.replace("  attachMode: auto\n", "  attachMode: auto\n  filters:\n    includeComms: [" + comm + "]\n"));
        settings.forEach(b::set);
        ProducerApp app = b.start();
        io.mqtap.producer.pipeline.CapturePipeline p = app.pipeline();
        String runId = p.host().runId();
        try {
            List<String> all = new ArrayList<>();
            all.add("comm=" + comm);
            all.addAll(steps);
            run[0] = MqLifeHelper.run(Duration.ofSeconds(60), all);
        } finally {
            // a stop: detach, drain, the last access window, publish
            app.close();
        }
        long published = p.counters().published();
        assertThat(p.counters().failed()).isZero();
        assertThat(p.counters().dropped()).isZero();
        // nothing lost by the probe's own count; the kernel's miss counts are host-wide (a skipped run of the open or
        // thread-exit hook for any process on the host counts), so only the calls' own programs must have run every time
        io.mqtap.capture.ProbeCounters k = p.counters().kernel();
        assertThat(k.lostAtLeast()).as("lost by the probe's own count, " + k).isZero();
        assertThat(p.counters().unreadable()).as("records the producer could not read").isZero();
        if (callsRecorded)
            assertThat(Math.max(0, k.missesCalls()) + Math.max(0, k.linkMissesCalls()))
                    .as("runs of the calls' programs the kernel skipped (the exact checks need none), " + k).isZero();
        assertThat(published).as("everything captured was published at the stop").isEqualTo(p.counters().captured());
        var rs = Records.readAll(broker.bootstrapServers(), registry.url(),
                got -> Records.ofRun(got, runId).size() >= published, Duration.ofSeconds(60));
        List<Long> seqs = Records.sequences(rs, runId);
        assertThat((long) seqs.size()).as("every published record is in Kafka").isEqualTo(published);
        for (int i = 0; i < seqs.size(); i++) assertThat(seqs.get(i)).as("one counter across the topics: sequence at " + i).isEqualTo(i);
        String machineId = ((SpecificRecordBase) Records.ofRun(rs, runId).get(0)).get("machineId").toString();
        assertThat(rs).as("every topic keyed by the machine id").allMatch(r -> r.key().equals(machineId));
        return new Captured(runId, Records.ofRun(rs, runId), k);
    }

    @Test
    void everyCallArrivesOnItsTopicFieldByFieldAndSendsAndReceivesAreCountedExactly() throws Exception {
        String comm = comm();
        String name = "ql-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> steps = new ArrayList<>(MqLifeHelper.everyCall(name).subList(0, MqLifeHelper.everyCall(name).size() - 2));
        // 1000 each way on a second queue: aggregation must count them exactly
        steps.add("open big name=" + name + "-big oflag=RDWR|CREAT attr=10,64");
        steps.add("transfer big big count=1000 size=64");
        steps.add("unlink name=" + name + "-big");
        steps.add("unlink name=" + name);
        steps.add("unlink name=" + name);
        LifeRun[] run = new LifeRun[1];
        Captured got = capture(Map.of("capture.access.window", "1s"), comm, steps, run);
        LifeRun r = run[0];
        long pid = r.pid();

        assertThat(got.of(MqOpen.class, pid)).hasSize(2);
        long q = r.calls("open").get(0).ino();
        long big = r.calls("open").get(1).ino();

        // one record per call, field by field against what the helper did
        List<LifeCall> unlinks = r.calls("unlink");
        List<MqUnlink> u = got.of(MqUnlink.class, pid);
        assertThat(u).hasSize(unlinks.size());
        for (int i = 0; i < u.size(); i++) {
            LifeCall c = unlinks.get(i);
            MqUnlink x = u.get(i);
            common(c, x.getReturnValue(), x.getErrno(), x.getTid(), x.getUid(), x.getEuid(), x.getComm(), x.getIpcNs());
            assertThat(x.getApi()).isEqualTo("mq_unlink");
            assertThat(x.getName()).isEqualTo(new String(c.name()));
            assertThat(x.getNameError()).isNull();
            assertThat(x.getNameTruncated()).isFalse();
            if (c.succeeded() && !"tracepoint".equals(x.getProbe())) {
                assertThat(x.getKernelName()).isEqualTo("/" + new String(c.name()));
                assertThat(x.getQueueInode()).isEqualTo(i == 0 ? big : q);
            }
        }
        assertThat(u.get(u.size() - 1).getErrno()).isEqualTo("ENOENT");

        List<LifeCall> notifies = r.calls("notify");
        List<MqNotify> n = got.of(MqNotify.class, pid);
        assertThat(n).hasSize(notifies.size());
        for (int i = 0; i < n.size(); i++) {
            LifeCall c = notifies.get(i);
            MqNotify x = n.get(i);
            common(c, x.getReturnValue(), x.getErrno(), x.getTid(), x.getUid(), x.getEuid(), x.getComm(), x.getIpcNs());
            assertThat(x.getMqdes()).isEqualTo(c.fd());
            assertThat(x.getNotification()).isEqualTo(c.kind() == -1 ? "remove" : c.kind() == 0 ? "signal" : c.kind() == 1 ? "none" : "thread");
            if (c.kind() == 0) assertThat(x.getSigno()).isEqualTo((int) c.signo());
            queue(c, x.getQueueInode(), x.getKernelName(), name);
            assertThat(x.getQueueUnlinked()).isFalse();
        }
        assertThat(n.get(n.size() - 1).getErrno()).isEqualTo("EBADF");

        List<LifeCall> attrs = r.calls("getsetattr");
        // the transfer step's own mq_getattr on the second queue is a real call too, not printed by the helper
        List<MqSetAttr> s = got.of(MqSetAttr.class, pid).stream().filter(x -> !Long.valueOf(big).equals(x.getQueueInode())).toList();
        assertThat(got.of(MqSetAttr.class, pid)).as("and the transfer's getattr").hasSize(attrs.size() + 1);
        assertThat(s).hasSize(attrs.size());
        for (int i = 0; i < s.size(); i++) {
            LifeCall c = attrs.get(i);
            MqSetAttr x = s.get(i);
            common(c, x.getReturnValue(), x.getErrno(), x.getTid(), x.getUid(), x.getEuid(), x.getComm(), x.getIpcNs());
            assertThat(x.getMqdes()).isEqualTo(c.fd());
            assertThat(x.getNewFlags()).isEqualTo(c.newFlags() < 0 ? null : c.newFlags());
            assertThat(x.getNonBlocking()).isEqualTo(c.newFlags() < 0 ? null : c.newFlags() != 0);
            if (c.succeeded()) {
                assertThat(x.getOldAttributes()).isNotNull();
                assertThat(x.getOldAttributes().getFlags()).isEqualTo(c.oldFlags());
                assertThat(x.getOldAttributes().getMaxmsg()).isEqualTo(c.oldMaxmsg());
                assertThat(x.getOldAttributes().getMsgsize()).isEqualTo(c.oldMsgsize());
                assertThat(x.getOldAttributes().getCurmsgs()).isEqualTo(c.oldCurmsgs());
            } else {
                assertThat(x.getOldAttributes()).isNull();
            }
            queue(c, x.getQueueInode(), x.getKernelName(), name);
        }

        // sends and receives: summed over the windows, per queue and call, exactly what the helper made
        List<MqAccess> a = got.of(MqAccess.class, pid);
        assertThat(a).allMatch(x -> !x.getOverflow() && x.getComm().equals(comm) && x.getWindowEnd().equals(x.getTimestamp())
                && !x.getWindowStart().isAfter(x.getWindowEnd()));
        Sum sendQ = sum(a, "send", q), receiveQ = sum(a, "receive", q), sendBig = sum(a, "send", big),
                receiveBig = sum(a, "receive", big), sendBad = sum(a, "send", null), receiveBad = sum(a, "receive", null);
        // everyCall: 3 x 10 bytes sent, 100 bytes refused (EMSGSIZE); 4 receives, the last on an empty queue (EAGAIN)
        assertThat(sendQ).isEqualTo(new Sum(4, Map.of("EMSGSIZE", 1L), 30, 10L, 10L));
        assertThat(receiveQ).isEqualTo(new Sum(4, Map.of("EAGAIN", 1L), 30, 10L, 10L));
        assertThat(sendBig).isEqualTo(new Sum(1000, Map.of(), 64_000, 64L, 64L));
        assertThat(receiveBig).isEqualTo(new Sum(1000, Map.of(), 64_000, 64L, 64L));
        assertThat(sendBad).isEqualTo(new Sum(1, Map.of("EBADF", 1L), 0, null, null));
        assertThat(receiveBad).isEqualTo(new Sum(1, Map.of("EBADF", 1L), 0, null, null));
        MqAccess one = a.stream().filter(x -> q == nz(x.getQueueInode()) && "send".equals(x.getCall())).findFirst().orElseThrow();
        assertThat(one.getKernelName()).isEqualTo("/" + name);
        assertThat(one.getProcessStartNs() / 10_000_000L).isEqualTo(r.calls("open").get(0).startTicks());
        assertThat(one.getCallsAfterUnlink()).isZero();
        assertThat(got.all(MqTransfer.class)).as("aggregation: no per-call records").isEmpty();

        // ./mqtap tail over every record topic: each line names its record type, the run's lines are its records
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (var values = new io.mqtap.registry.serde.AvroDeserializer<org.apache.avro.generic.IndexedRecord>()) {
            values.configure(Map.of(io.mqtap.registry.RegistryConfig.URL, registry.url()), false);
            io.mqtap.producer.cli.TailCommand.tail(new HashMap<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                    "group.id", "tail-" + UUID.randomUUID(), "auto.offset.reset", "earliest", "enable.auto.commit", false)), values,
                    io.mqtap.producer.cli.TailCommand.DEFAULT_TOPICS, Long.MAX_VALUE, 3_000,
                    new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8), null);
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        Map<String, Long> types = new java.util.TreeMap<>();
        for (String line : out.toString(java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            var line1 = json.readTree(line);
            if (line1.path("runId").asText().equals(got.runId())) types.merge(line1.path("type").asText(), 1L, Long::sum);
        }
        Map<String, Long> expected = new java.util.TreeMap<>();
        got.records().forEach(x -> expected.merge(x.getSchema().getName(), 1L, Long::sum));
        assertThat(types).as("tail's lines of the run, by type").isEqualTo(expected)
                .containsKeys("MqOpen", "MqUnlink", "MqNotify", "MqSetAttr", "MqAccess");
    }

    @Test
    void perCallModePublishesEverySendAndReceiveAsItsOwnRecord() throws Exception {
        String comm = comm();
        String name = "qp-" + UUID.randomUUID().toString().substring(0, 8);
        LifeRun[] run = new LifeRun[1];
        Captured got = capture(Map.of("capture.access.mode", "perCall"), comm, List.of(
                "open q name=" + name + " oflag=RDWR|CREAT|NONBLOCK attr=4,64", "send q size=10 prio=3", "send q size=20 timeout=1000",
                "send q size=100", "receive q size=64", "receive q size=64 timeout=1000", "receive q size=64", "receive q size=8",
                "fd b badfd", "send b", "unlink name=" + name), run);
        LifeRun r = run[0];
        List<LifeCall> calls = r.calls().stream().filter(c -> c.call().equals("send") || c.call().equals("receive")).toList();
        List<MqTransfer> t = got.of(MqTransfer.class, r.pid());
        assertThat(t).hasSize(calls.size());
        for (int i = 0; i < t.size(); i++) {
            LifeCall c = calls.get(i);
            MqTransfer x = t.get(i);
            common(c, x.getReturnValue(), x.getErrno(), x.getTid(), x.getUid(), x.getEuid(), x.getComm(), x.getIpcNs());
            assertThat(x.getCall()).isEqualTo(c.call());
            assertThat(x.getMqdes()).isEqualTo(c.fd());
            assertThat(x.getTimeout()).isEqualTo(c.timeout() == 1);
            if (c.call().equals("send")) {
                assertThat(x.getSize()).isEqualTo(c.size());
                assertThat(x.getBufferSize()).isNull();
                assertThat(x.getPriority()).isEqualTo(c.prio());
            } else {
                assertThat(x.getSize()).isEqualTo(Math.max(0, c.ret()));
                assertThat(x.getBufferSize()).isEqualTo(c.size());
                if (c.succeeded()) assertThat(x.getPriority()).isEqualTo(c.prio());
            }
            queue(c, x.getQueueInode(), x.getKernelName(), name);
        }
        assertThat(t.stream().map(MqTransfer::getErrno).toList())
                .containsExactly(null, null, "EMSGSIZE", null, null, "EAGAIN", "EMSGSIZE", "EBADF");
        assertThat(got.all(MqAccess.class)).as("per call: no aggregated records").isEmpty();
    }

    @Test
    void aFullAggregationMapIsPublishedAsOverflowRecords() throws Exception {
        String comm = comm();
        List<String> steps = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String n = "qo" + i + "-" + UUID.randomUUID().toString().substring(0, 8);
            names.add(n);
            steps.add("open q" + i + " name=" + n + " oflag=RDWR|CREAT|NONBLOCK attr=4,64");
            steps.add("send q" + i + " size=" + (i + 1) + " repeat=3 quiet");
        }
        names.forEach(n -> steps.add("unlink name=" + n));
        LifeRun[] run = new LifeRun[1];
        // a window longer than the run: the stop reads the one window, whose map holds 4 keys
        Captured got = capture(Map.of("capture.access.maxKeys", "4", "capture.access.window", "10m"), comm, steps, run);
        List<MqAccess> kept = got.of(MqAccess.class, run[0].pid());
        List<MqAccess> overflow = got.all(MqAccess.class).stream().filter(MqAccess::getOverflow).toList();
        assertThat(kept).hasSize(4);
        assertThat(kept.stream().mapToLong(MqAccess::getCalls).sum()).isEqualTo(12);
        assertThat(overflow).hasSize(1);
        MqAccess o = overflow.get(0);
        assertThat(o.getCall()).isEqualTo("send");
        assertThat(o.getCalls()).as("the other 6 queues' calls: counted, never dropped").isEqualTo(18);
        assertThat(o.getBytes() + kept.stream().mapToLong(MqAccess::getBytes).sum()).isEqualTo(3L * (55));
        assertThat(o.getPid()).isNull();
        assertThat(o.getQueueInode()).isNull();
        assertThat(o.getThreads()).isNull();
    }

    /**
     * What the queue-life hooks missed, in the stats record read back from Kafka: a snapshot map of one caller per
     * window (capture.access.maxContexts: 1) for sends to three queues, so two aggregated keys are published without
     * their caller (accessNoContext, not a loss), and every notify and getsetattr program run skipped (the test-only
     * capture.faultInjection.callSkipOneIn: the program counts the skip and the loader adds it to the kernel's misses, as
     * the kernel would count a skipped run), so those calls are lost and counted (lostCallMisses). The kernel's miss counts
     * are host-wide, so the lost calls are bounded as LossBounds does: exact where the kernel itself skipped nothing.
     */
    @Test
    void whatTheQueueLifeHooksMissedIsInTheStatsRecord() throws Exception {
        String comm = comm();
        List<String> steps = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String n = "qc" + i + "-" + UUID.randomUUID().toString().substring(0, 8);
            names.add(n);
            steps.add("open q" + i + " name=" + n + " oflag=RDWR|CREAT|NONBLOCK attr=4,64");
            steps.add("send q" + i + " size=8");
        }
        for (int i = 0; i < 5; i++)
            steps.addAll(List.of("getattr q0", "setattr q0 nonblock=" + (i % 2), "notify q0 kind=signal", "notify q0 kind=remove"));
        names.forEach(n -> steps.add("unlink name=" + n));
        LifeRun[] run = new LifeRun[1];
        // a window longer than the run: the stop reads the one window, whose caller map holds 1 snapshot
        Captured got = capture(Map.of("capture.access.maxContexts", "1", "capture.access.window", "10m",
                "capture.faultInjection.callSkipOneIn", "1"), comm, steps, run, false);
        LifeRun r = run[0];
        long skippable = r.calls("notify").size() + r.calls("getsetattr").size();
        assertThat(skippable).isEqualTo(20);

        // the sends: counted in full, one of the three keys with its caller, two without (pid and queue from the key)
        List<MqAccess> a = got.all(MqAccess.class);
        assertThat(a).hasSize(3).allMatch(x -> !x.getOverflow() && x.getCalls() == 1 && x.getBytes() == 8 && x.getPid() == r.pid());
        assertThat(a).extracting(MqAccess::getQueueInode).containsExactlyInAnyOrderElementsOf(
                r.calls("open").stream().map(LifeCall::ino).toList());
        List<MqAccess> withoutCaller = a.stream().filter(x -> x.getComm() == null).toList();
        assertThat(withoutCaller).hasSize(2).allMatch(x -> x.getUid() == null && x.getTid() == null && x.getKernelName() == null);
        // the notify and getsetattr calls: none recorded
        long received = got.of(MqNotify.class, r.pid()).size() + got.of(MqSetAttr.class, r.pid()).size();
        assertThat(received).isZero();
        assertThat(got.of(MqUnlink.class, r.pid())).as("unlinks are not skipped").hasSize(3);

        // the run's last stats record (sent after the stop, with the final counts), read back from Kafka
        long lastSequence = got.records().size() - 1;
        List<org.apache.kafka.clients.consumer.ConsumerRecord<String, io.mqtap.avro.MqOpenStats>> rs = Records.read(
                broker.bootstrapServers(), registry.url(), "mq-open-stats",
                x -> Records.stats(x, got.runId()).stream().anyMatch(st -> st.getSequence() == lastSequence && st.getInFlight() == 0
                        && st.getPublished() == lastSequence + 1), Duration.ofSeconds(60));
        io.mqtap.avro.MqOpenStats s = Records.stats(rs, got.runId()).stream()
                .max(java.util.Comparator.comparing(io.mqtap.avro.MqOpenStats::getTimestamp)).orElseThrow();
        io.mqtap.capture.ProbeCounters k = got.kernel();
        assertThat(s.getSequence()).as("the last stats record has the run's last sequence, " + s).isEqualTo(lastSequence);
        // keys are counted after the filters: only this test's calls, so exact
        assertThat(s.getAccessNoContext()).as("two keys without their caller").isEqualTo((long) withoutCaller.size())
                .isEqualTo(k.accessNoContext());
        assertThat(s.getLostCallArgsDropped()).as("kprobe set only, counted call by call").isEqualTo(k.argsDropped());
        assertThat(s.getLostCallMisses()).as("the calls' program and link misses and the arguments dropped")
                .isEqualTo(s.getProgramMisses().getOrDefault("calls", 0L) + s.getLinkMisses().getOrDefault("calls", 0L)
                        + s.getLostCallArgsDropped());
        // the kernel's miss counts are host-wide and only grow: the record's figure is at most the counters' after the stop
        assertThat(s.getLostCallMisses()).as("the probe's counters after the stop, " + k)
                .isLessThanOrEqualTo(k.losses().get("callMisses"));
        // LossBounds' bounds: received + lost at least <= calls <= received + lost (host-wide, an upper bound)
        assertThat(received + s.getLostCallArgsDropped()).isLessThanOrEqualTo(skippable);
        assertThat(skippable).as("every skipped call counted, " + s).isLessThanOrEqualTo(received + s.getLostCallMisses());
        assertThat(s.getLostKernel()).as("a way of loss in lostKernel, each way once").isEqualTo(s.getLostOutput()
                + s.getLostEntryDropped() + s.getLostEntrySkipped() + s.getLostExitMissed() + s.getLostUnexamined()
                + s.getLostCallMisses() + s.getLostUnreadable());
    }

    private record Sum(long calls, Map<String, Long> errors, long bytes, Long minSize, Long maxSize) {}

    private static Sum sum(List<MqAccess> a, String call, Long inode) {
        List<MqAccess> of = a.stream().filter(x -> call.equals(x.getCall()) && java.util.Objects.equals(x.getQueueInode(), inode)).toList();
        Map<String, Long> errors = new HashMap<>();
        of.forEach(x -> x.getErrors().forEach((k, v) -> errors.merge(k, v, Long::sum)));
        Long min = of.stream().map(MqAccess::getMinSize).filter(java.util.Objects::nonNull).min(Long::compare).orElse(null);
        Long max = of.stream().map(MqAccess::getMaxSize).filter(java.util.Objects::nonNull).max(Long::compare).orElse(null);
        return new Sum(of.stream().mapToLong(MqAccess::getCalls).sum(), errors, of.stream().mapToLong(MqAccess::getBytes).sum(), min, max);
    }

    private static long nz(Long v) {
        return v == null ? 0 : v;
    }

    private static void common(LifeCall c, long ret, String errno, long tid, long uid, long euid, String comm, long ipcNs) {
        String what = c.call() + " #" + c.seq();
        assertThat(ret).as(what).isEqualTo(c.ret());
        assertThat(errno).as(what).isEqualTo(c.ret() < 0 ? Errnos.name(c.errno()) : null);
        assertThat(tid).as(what).isEqualTo(c.tid());
        assertThat(uid).as(what).isEqualTo(c.uid());
        assertThat(euid).as(what).isEqualTo(c.euid());
        assertThat(comm).as(what).isEqualTo(c.comm());
        assertThat(ipcNs).as(what).isEqualTo(c.ipcNs());
    }

    /** The queue a descriptor call names: its inode and kernel name when the descriptor is a queue's, else none. */
    private static void queue(LifeCall c, Long inode, String kernelName, String name) {
        if (c.ino() > 0) {
            assertThat(inode).as(c.call() + " #" + c.seq()).isEqualTo(c.ino());
            assertThat(kernelName).as(c.call() + " #" + c.seq()).isEqualTo("/" + name);
        } else {
            assertThat(inode).as(c.call() + " #" + c.seq() + " on a descriptor that is not a queue").isNull();
        }
    }
}
