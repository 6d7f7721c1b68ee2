package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.capture.Errnos;
import io.mqtap.producer.core.OpenFlags;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.HelperCall;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The whole service: real probe, real broker, real registry; what the helper does must arrive exactly. */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProducerEndToEndTest {
    private KafkaBroker broker;
    private SchemaRegistryServer registry;
    private ProducerApp app;
    private String runId;

    @BeforeAll
    void start() throws Exception {
        Kernel.assumeBpf();
        broker = KafkaBroker.start();
        registry = SchemaRegistryServer.shared();
        // only the helper's calls: other processes on a shared host may call mq_open millions of times meanwhile
        app = ProducerApp.of(broker.bootstrapServers(), registry.url())
                .editConfig(c -> c.replace("  attachMode: auto\n", "  attachMode: auto\n  filters:\n    includeComms: [mq_open_helper]\n"))
                .start();
        runId = app.runId();
    }

    @AfterAll
    void stop() {
        if (app != null) app.close();
        if (broker != null) broker.close();
    }

    @Test
    void helperCallsArriveWithEveryFieldRightInOrderWithContiguousSequence() throws Exception {
        String q = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
        MqOpenHelper.HelperRun run = MqOpenHelper.run(
                "name=" + q + " oflag=RDWR|CREAT mode=0640 attr=4,128",
                "name=" + q + " oflag=RDONLY|CLOEXEC",
                "name=" + q + " oflag=RDWR|CREAT|EXCL mode=0600",
                "name=" + q + "-missing oflag=WRONLY|NONBLOCK",
                "hex=c3289f0a0d1b7f80 oflag=RDONLY",
                "len=300");
        List<HelperCall> calls = run.calls();
        List<ConsumerRecord<String, MqOpen>> rs = Records.read(broker.bootstrapServers(), registry.url(), "mq-open-events",
                got -> Records.events(got, runId).stream().filter(r -> r.getPid() == run.pid()).count() >= calls.size(),
                Duration.ofSeconds(60));
        List<MqOpen> mine = Records.events(rs, runId).stream().filter(r -> r.getPid() == run.pid()).toList();
        assertThat(mine).hasSize(calls.size());
        for (int i = 0; i < calls.size(); i++) assertMatches(calls.get(i), mine.get(i));
        assertThat(mine.get(2).getCreated()).as("O_CREAT|O_EXCL that failed: unknown").isNull();

        // every open of this run in partition order, and every record of it across the topics (the helper's
        // unlinks too), numbered 0, 1, 2, ... from one counter with no gap
        List<Long> opens = Records.events(rs, runId).stream().map(MqOpen::getSequence).toList();
        assertThat(opens).as("opens in partition order").isSorted();
        List<ConsumerRecord<String, org.apache.avro.specific.SpecificRecord>> all = Records.readAll(broker.bootstrapServers(),
                registry.url(), got -> Records.sequences(got, runId).size() > opens.get(opens.size() - 1), Duration.ofSeconds(30));
        List<Long> seqs = Records.sequences(all, runId);
        for (int i = 0; i < seqs.size(); i++) assertThat(seqs.get(i)).as("sequence at " + i).isEqualTo(i);
        assertThat(all).allMatch(r -> r.key().equals(mine.get(0).getMachineId()));
    }

    @Test
    void statsRecordsReconcileWithWhatWasPublished() throws Exception {
        MqOpenHelper.run("name=stats-" + UUID.randomUUID().toString().substring(0, 8) + " repeat=50 quiet");
        List<ConsumerRecord<String, MqOpenStats>> rs = Records.read(broker.bootstrapServers(), registry.url(), "mq-open-stats",
                got -> Records.stats(got, runId).stream().anyMatch(s -> s.getPublished() >= 50 && s.getInFlight() == 0),
                Duration.ofSeconds(60));
        MqOpenStats s = Records.stats(rs, runId).stream().filter(x -> x.getPublished() >= 50 && x.getInFlight() == 0)
                .reduce((a, b) -> b).orElseThrow();
        assertThat(s.getProbe()).isEqualTo("tracepoint");
        assertThat(s.getProbeFeatures()).as("the probe's kernel features, as its attach report says them")
                .startsWith("pairing: task storage, task: BTF task pointer");
        assertThat(s.getSequence() + 1).as("every captured event got a sequence").isEqualTo(s.getCaptured());
        assertThat(s.getPublished() + s.getFailed() + s.getDropped() + s.getInFlight()).isEqualTo(s.getCaptured());
        assertThat(s.getLostKernel()).isZero();
        assertThat(s.getDropped()).isZero();
        assertThat(s.getFailed()).isZero();
        // published counts every record type (the helper's unlinks too)
        List<ConsumerRecord<String, org.apache.avro.specific.SpecificRecord>> records = Records.readAll(broker.bootstrapServers(),
                registry.url(), got -> Records.ofRun(got, runId).size() >= s.getPublished(), Duration.ofSeconds(30));
        assertThat((long) Records.ofRun(records, runId).size()).isGreaterThanOrEqualTo(s.getPublished());
    }

    @Test
    void healthMetricsAndPrometheusOnTheAdminPort() throws Exception {
        MqOpenHelper.run("name=metrics-probe");
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + app.adminPort();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthcheck")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.body()).contains("\"probe\"").contains("probe attached: tracepoint").contains("schemas registered");
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        String prom = http.send(HttpRequest.newBuilder(URI.create(base + "/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(prom).contains("mqtap_events_captured_total").contains("mqtap_events_lost_total{stage=\"kernel\",} 0.0")
                .contains("mqtap_kernel_events_lost{way=\"entry_skipped\",} 0.0")
                .contains("mqtap_kernel_events_lost{way=\"exit_missed\",} 0.0")
                .contains("mqtap_handoff_depth").contains("mqtap_delivery_latency_seconds_bucket")
                .contains("mqtap_probe_attached{mode=\"tracepoint\",} 1.0").contains("mqtap_schema_registry_up 1.0");
        String json = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(json).contains("mqtap.published").contains("mqtap.failed");
    }

    private static void assertMatches(HelperCall c, MqOpen r) {
        String what = "call " + c.seq() + " (" + c.nameHex() + ")";
        assertThat(r.getPid()).as(what).isEqualTo(c.pid());
        assertThat(r.getTid()).as(what).isEqualTo(c.tid());
        assertThat(r.getUid()).as(what).isEqualTo(c.uid());
        assertThat(r.getGid()).as(what).isEqualTo(c.gid());
        assertThat(r.getComm()).as(what).isEqualTo(c.comm());
        byte[] name = c.name();
        byte[] raw = bytes(r.getNameRaw());
        if (name.length > 255) {
            assertThat(raw).as(what).isEqualTo(java.util.Arrays.copyOf(name, 255));
            assertThat(r.getNameTruncated()).as(what).isTrue();
        } else {
            assertThat(raw).as(what).isEqualTo(name);
            assertThat(r.getNameTruncated()).as(what).isFalse();
        }
        assertThat(io.mqtap.capture.NameCodec.encode(r.getName())).as(what + ": name is lossless").isEqualTo(raw);
        assertThat(r.getOflag()).as(what).isEqualTo(c.oflag());
        assertThat(r.getFlags()).as(what).isEqualTo(OpenFlags.names(c.oflag()));
        assertThat(r.getMode()).as(what).isEqualTo(c.mode());
        if (c.hasAttr()) {
            assertThat(r.getAttr()).as(what).isNotNull();
            assertThat(r.getAttr().getMaxmsg()).as(what).isEqualTo(c.attrMaxmsg());
            assertThat(r.getAttr().getMsgsize()).as(what).isEqualTo(c.attrMsgsize());
            assertThat(r.getAttr().getFlags()).as(what).isEqualTo(c.attrFlags());
            assertThat(r.getAttr().getCurmsgs()).as(what).isEqualTo(c.attrCurmsgs());
        } else {
            assertThat(r.getAttr()).as(what).isNull();
        }
        assertThat(r.getReturnValue()).as(what).isEqualTo(c.ret());
        assertThat(r.getErrno()).as(what).isEqualTo(c.ret() < 0 ? Errnos.name(c.errno()) : null);
        assertThat(r.getProbe()).isEqualTo("tracepoint");
        assertThat(r.getTimestamp().toEpochMilli()).as(what + ": wall clock").isCloseTo(System.currentTimeMillis(),
                org.assertj.core.data.Offset.offset(120_000L));
        assertThat(r.getHostname()).isNotEmpty();
        assertThat(r.getMachineId()).isNotEmpty();
        assertThat(r.getBootId()).isNotEmpty();
        // who, and the queue the descriptor names, against what the caller itself saw
        assertThat(r.getApi()).isEqualTo("mq_open");
        assertThat(r.getEuid()).as(what).isEqualTo(c.euid());
        assertThat(r.getFsuid()).as(what).isEqualTo(c.fsuid());
        assertThat(r.getLoginUid()).as(what).isEqualTo(c.loginUid() == 4294967295L ? null : c.loginUid());
        assertThat(r.getIpcNs()).as(what).isEqualTo(c.ipcNs());
        assertThat(r.getNsTid()).as(what).isEqualTo(c.tid());
        assertThat(r.getExe()).as(what).isEqualTo(io.mqtap.testkit.mqgen.MqGen.HELPER);
        assertThat(r.getProcessStartNs() / 10_000_000L).as(what + ": start in ticks").isEqualTo(c.startTicks());
        if (c.ret() >= 0) {
            assertThat(r.getQueueInode()).as(what).isEqualTo(c.ino());
            assertThat(r.getQueueMode()).as(what).isEqualTo(c.qmode());
            assertThat(r.getQueueUid()).as(what).isEqualTo(c.quid());
            assertThat(r.getQueueGid()).as(what).isEqualTo(c.qgid());
            assertThat(r.getQueueIpcNs()).as(what).isEqualTo(c.ipcNs());
            assertThat(r.getKernelName()).as(what).isEqualTo("/" + r.getName());
            assertThat(r.getNameChanged()).as(what).isFalse();
        } else {
            assertThat(r.getKernelName()).as(what).isNull();
            assertThat(r.getQueueInode()).as(what).isNull();
        }
        if ((c.oflag() & 0100) == 0) assertThat(r.getCreated()).as(what + ": no O_CREAT").isFalse();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
