package io.mqtap.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.capture.Errnos;
import io.mqtap.capture.NameCodec;
import io.mqtap.producer.core.OpenFlags;
import io.mqtap.producer.pipeline.CapturePipeline;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.mqgen.HelperCall;
import io.mqtap.testkit.mqgen.MqGen;
import io.mqtap.testkit.mqgen.MqOpenHelper;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Odd and hostile mq_open calls through the whole service (real probe, broker, registry): each is published
 * faithfully, or with its read error, and the pipeline goes on: a plain call made after them arrives too,
 * and the run's sequence has no gap.
 */
@Tag("kernel")
@Tag("broker")
@Tag("registry")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {
    private static final int NAME_KEEP = 255;

    private KafkaBroker broker;
    private SchemaRegistryServer registry;
    private ProducerApp app;
    private String runId;

    @BeforeAll
    void start() throws Exception {
        Kernel.assumeBpf();
        Kernel.assume(MqGen.available(MqGen.HELPER), "mq_open_helper is not built");
        broker = KafkaBroker.start();
        registry = SchemaRegistryServer.shared();
        // only the helper's calls: other processes on a shared host may call mq_open millions of times meanwhile
        app = ProducerApp.of(broker.bootstrapServers(), registry.url()).set("capture.perCpuPages", "256")
                .editConfig(c -> c.replace("  attachMode: auto\n", "  attachMode: auto\n  filters:\n    includeComms: [mq_open_helper]\n"
                        // the flip test's bursts of 3,000 calls are past the default per-user budget (fairness has tests of its own)
                        + "  fairness:\n    enabled: false\n"))
                .start();
        runId = pipeline().host().runId();
    }

    @AfterAll
    void stop() {
        if (app != null) app.close();
        if (broker != null) broker.close();
    }

    private CapturePipeline pipeline() {
        return app.pipeline();
    }

    private static String unique(String what) {
        return "mqtap-h-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** This run's records matching {@code mine}, once {@code want} of them arrived (or 60 s passed). */
    private List<MqOpen> records(Predicate<MqOpen> mine, long want) {
        List<ConsumerRecord<String, MqOpen>> rs = Records.read(broker.bootstrapServers(), registry.url(), "mq-open-events",
                got -> Records.events(got, runId).stream().filter(mine).count() >= want, Duration.ofSeconds(60));
        return Records.events(rs, runId).stream().filter(mine).toList();
    }

    /** A plain call after the hostile ones arrives, and the run so far is numbered 0..n-1 without gap or repeat. */
    private void pipelineKeepsGoing() throws Exception {
        String q = unique("after");
        MqOpenHelper.HelperRun after = MqOpenHelper.run("name=" + q);
        List<MqOpen> got = records(r -> r.getPid() == after.pid(), 1);
        assertThat(got).as("the call made after the hostile ones").hasSize(1);
        assertThat(got.get(0).getName()).isEqualTo(q);
        // every record type of the run (the helpers' unlinks too) shares one counter
        long published = pipeline().counters().published();
        List<Long> run = Records.sequences(Records.readAll(broker.bootstrapServers(), registry.url(),
                all -> Records.sequences(all, runId).size() >= published, Duration.ofSeconds(30)), runId);
        for (int i = 0; i < run.size(); i++) assertThat(run.get(i)).as("sequence at " + i).isEqualTo(i);
        assertThat(pipeline().counters().failed()).isZero();
        assertThat(pipeline().counters().dropped()).isZero();
    }

    @Test
    void namesOfEveryLengthControlBytesNonUtf8EmptyAndBadPointers() throws Exception {
        List<String> steps = new ArrayList<>();
        for (int len = 0; len <= 300; len += 15) steps.add("len=" + len);
        steps.addAll(List.of("len=254", "len=255", "len=256", "len=4096",
                "hex=c3289f0a0d1b7f80",          // invalid UTF-8, newline, CR, ESC, DEL, a lone continuation byte
                "hex=5c7841410102",              // a literal backslash-x in the name, then control bytes
                "hex=e282ac2ff09f9880",          // valid multi-byte UTF-8 and a slash
                "name=", "null", "unmapped"));
        MqOpenHelper.HelperRun run = MqOpenHelper.run(Duration.ofSeconds(60), steps);
        List<HelperCall> calls = run.calls();
        List<MqOpen> got = records(r -> r.getPid() == run.pid(), calls.size());
        assertThat(got).hasSize(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            HelperCall c = calls.get(i);
            MqOpen r = got.get(i);
            String what = "call " + i + " " + steps.get(i);
            assertThat(r.getReturnValue()).as(what).isEqualTo(c.ret());
            assertThat(r.getErrno()).as(what).isEqualTo(c.ret() < 0 ? Errnos.name(c.errno()) : null);
            byte[] raw = bytes(r.getNameRaw());
            assertThat(NameCodec.encode(r.getName())).as(what + ": name decodes back to nameRaw").isEqualTo(raw);
            if (c.nameKind().equals("bytes")) {
                byte[] name = c.name();
                assertThat(raw).as(what + ": exact bytes").isEqualTo(Arrays.copyOf(name, Math.min(name.length, NAME_KEEP)));
                assertThat(r.getNameTruncated()).as(what + ": truncated").isEqualTo(name.length > NAME_KEEP);
                assertThat(r.getNameError()).as(what).isNull();
                if (name.length > NAME_KEEP) assertThat(r.getErrno()).as(what).isEqualTo("ENAMETOOLONG");
            } else {
                assertThat(raw).as(what).isEmpty();
                assertThat(r.getNameError()).as(what + ": the read error is recorded").isEqualTo("EFAULT");
                assertThat(r.getErrno()).as(what).isEqualTo("EFAULT");
            }
        }
        MqOpen nonUtf8 = got.get(steps.indexOf("hex=c3289f0a0d1b7f80"));
        assertThat(nonUtf8.getName()).isEqualTo("\\xc3(\\x9f\n\r\u001b\u007f\\x80");
        MqOpen backslash = got.get(steps.indexOf("hex=5c7841410102"));
        assertThat(backslash.getName()).isEqualTo("\\x5cxAA\u0001\u0002");
        assertThat(got.get(steps.indexOf("hex=e282ac2ff09f9880")).getName()).isEqualTo("€/😀");
        pipelineKeepsGoing();
    }

    @Test
    void badAttrValuesAndInvalidFlagBits() throws Exception {
        String q = unique("attr");
        List<String> steps = List.of(
                "name=" + q + "-a oflag=RDWR|CREAT mode=0600 attr=0,-1",                    // EINVAL
                "name=" + q + "-b oflag=RDWR|CREAT mode=0600 attr=-5,-6,-7,-8",             // negative everything
                "name=" + q + "-c oflag=RDWR|CREAT mode=07777 attr=9223372036854775807,1",  // huge maxmsg
                "name=" + q + "-d oflag=3",                                                   // O_ACCMODE: invalid access mode
                "name=" + q + "-e oflag=2147483452",                                          // 0x7fffff3c: every unknown bit
                "name=" + q + "-f oflag=RDONLY attr=1,1");                                    // attr without O_CREAT: ignored by the kernel
        MqOpenHelper.HelperRun run = MqOpenHelper.run(Duration.ofSeconds(60), steps);
        List<MqOpen> got = records(r -> r.getPid() == run.pid(), steps.size());
        assertThat(got).hasSize(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            HelperCall c = run.calls().get(i);
            MqOpen r = got.get(i);
            String what = steps.get(i);
            assertThat(r.getOflag()).as(what).isEqualTo(c.oflag());
            assertThat(r.getFlags()).as(what).isEqualTo(OpenFlags.names(c.oflag()));
            assertThat(r.getMode()).as(what).isEqualTo(c.mode());
            assertThat(r.getReturnValue()).as(what).isEqualTo(c.ret());
            assertThat(r.getAttrError()).as(what).isNull();
            if (c.hasAttr()) {
                assertThat(r.getAttr()).as(what).isNotNull();
                assertThat(r.getAttr().getFlags()).as(what).isEqualTo(c.attrFlags());
                assertThat(r.getAttr().getMaxmsg()).as(what).isEqualTo(c.attrMaxmsg());
                assertThat(r.getAttr().getMsgsize()).as(what).isEqualTo(c.attrMsgsize());
                assertThat(r.getAttr().getCurmsgs()).as(what).isEqualTo(c.attrCurmsgs());
            } else {
                assertThat(r.getAttr()).as(what).isNull();
            }
        }
        assertThat(got.get(0).getErrno()).isEqualTo("EINVAL");
        assertThat(got.get(1).getAttr().getMaxmsg()).isEqualTo(-6);
        assertThat(got.get(2).getAttr().getMaxmsg()).isEqualTo(Long.MAX_VALUE);
        assertThat(got.get(3).getFlags()).containsExactly("O_ACCMODE");
        assertThat(got.get(4).getFlags()).as("unknown bits kept in hex").last().asString().startsWith("0x");
        pipelineKeepsGoing();
    }

    @Test
    void anUnmappedAttrPointerIsRecordedAsItsReadError() throws Exception {
        String q = unique("attrptr");
        List<String> steps = List.of(
                "name=" + q + "-a oflag=RDWR|CREAT mode=0600 attr=unmapped",   // the kernel copies attr: EFAULT
                "name=" + q + "-b oflag=RDONLY attr=unmapped");                // copied even without O_CREAT: EFAULT
        MqOpenHelper.HelperRun run = MqOpenHelper.run(Duration.ofSeconds(60), steps);
        List<MqOpen> got = records(r -> r.getPid() == run.pid(), steps.size());
        assertThat(got).hasSize(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            assertThat(got.get(i).getAttr()).as(steps.get(i)).isNull();
            assertThat(got.get(i).getAttrError()).as(steps.get(i)).isEqualTo("EFAULT");
            assertThat(got.get(i).getReturnValue()).as(steps.get(i)).isEqualTo(run.calls().get(i).ret());
        }
        assertThat(got).allSatisfy(r -> assertThat(r.getErrno()).isEqualTo("EFAULT"));
        pipelineKeepsGoing();
    }

    @Test
    void callsFromManyThreadsAreEachPublishedOnce() throws Exception {
        MqOpenHelper.HelperRun run = MqOpenHelper.run("name=" + unique("thr") + " threads=8 repeat=50");
        assertThat(run.calls()).hasSize(400);
        List<MqOpen> got = records(r -> r.getPid() == run.pid(), 400);
        assertThat(got).hasSize(400);
        assertThat(got.stream().map(MqOpen::getTid).distinct().count()).isEqualTo(8);
        assertThat(got.stream().map(MqOpen::getTid).sorted().toList())
                .isEqualTo(run.calls().stream().map(HelperCall::tid).sorted().toList());
        assertThat(got.stream().map(MqOpen::getSequence).distinct().count()).as("each call once").isEqualTo(400);
        pipelineKeepsGoing();
    }

    @Test
    void aProcessInItsOwnPidNamespace() throws Exception {
        String q = unique("pidns");
        Process p = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", MqGen.binary(MqGen.HELPER).toString(),
                "name=" + q, "name=" + q + " oflag=RDWR|CREAT mode=0600").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Kernel.assume(p.exitValue() == 0, "unshare --pid failed here: " + out);
        assertThat(out).contains("\"pid\":1,"); // the helper is pid 1 of its namespace
        List<MqOpen> got = records(r -> r.getName().startsWith(q), 2);
        assertThat(got).hasSize(2);
        long hostPidNs = nsInode("pid");
        for (MqOpen r : got) {
            assertThat(r.getNsPid()).as("pid inside the namespace").isEqualTo(1);
            assertThat(r.getPid()).as("host pid").isNotEqualTo(r.getNsPid());
            assertThat(r.getPidNs()).as("its own pid namespace").isNotEqualTo(hostPidNs);
            assertThat(r.getComm()).isEqualTo("mq_open_helper");
        }
        assertThat(got.get(1).getReturnValue()).as("created").isGreaterThanOrEqualTo(0);
        MqOpenHelper.run("name=" + q + " unlink");
        pipelineKeepsGoing();
    }

    @Test
    void aNameRewrittenByAnotherThreadWhileInFlight() throws Exception {
        // the race is won or lost by the scheduler: up to 5 rounds of 3,000 calls until both outcomes were seen
        long flaggedCalls = 0;
        long plainCalls = 0;
        for (int round = 0; round < 5 && (flaggedCalls == 0 || plainCalls == 0); round++) {
            String q = unique("flip");
            long lostBefore = pipeline().counters().lostKernel();
            MqOpenHelper.HelperRun run = MqOpenHelper.run("name=" + q + " repeat=3000 quiet flip");
            assertThat(run.totalCalls()).isEqualTo(3000);
            long lost = pipeline().counters().lostKernel() - lostBefore;
            List<MqOpen> got = records(r -> r.getPid() == run.pid(), 3000 - lost);
            // the flipper keeps a core busy: anything the reader missed is counted as lost in the kernel
            assertThat(got.size() + lost).as("received + counted lost").isGreaterThanOrEqualTo(3000);
            byte[] original = q.getBytes(StandardCharsets.US_ASCII);
            byte[] flipped = original.clone();
            flipped[flipped.length - 1] ^= 1;
            for (MqOpen r : got) {
                byte[] raw = bytes(r.getNameRaw());
                assertThat(Arrays.equals(raw, original) || Arrays.equals(raw, flipped))
                        .as("name %s is one of the two the caller wrote", HexFormat.of().formatHex(raw)).isTrue();
            }
            flaggedCalls += got.stream().filter(MqOpen::getNameChanged).count();
            plainCalls += got.stream().filter(r -> !r.getNameChanged()).count();
        }
        assertThat(flaggedCalls).as("calls flagged nameChanged").isPositive();
        assertThat(plainCalls).as("calls not flagged").isPositive();
        pipelineKeepsGoing();
    }

    private static long nsInode(String ns) throws Exception {
        String link = Files.readSymbolicLink(Path.of("/proc/self/ns/" + ns)).toString();
        return Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
