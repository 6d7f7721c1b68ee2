package io.mqtap.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.producer.stats.StatsReporter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A process's comm and queue name reach the demo's screen with control and bidi characters as \xNN, never raw. */
class LiveViewTest {
    @Test
    void controlAndBidiCharactersAreShownEscaped() {
        LiveView view = new LiveView("header", true);
        view.add(MqOpen.newBuilder().setHostname("h").setMachineId("m").setBootId("b").setRunId("r").setSequence(0)
                .setTimestamp(Instant.parse("2026-11-30T10:00:00Z")).setBootTimeNs(1L).setProbe("tracepoint").setCpu(0)
                .setPid(7L).setTid(7L).setPpid(1L).setNsPid(7L).setUid(1000L).setGid(1000L).setComm("ev\u001b]0;pwn\u0007")
                .setCgroupId(1L).setMntNs(1L).setPidNs(1L).setName("q\u001b[2J\r\n\u202e")
                .setNameRaw(ByteBuffer.wrap("q".getBytes(StandardCharsets.UTF_8))).setNameTruncated(false).setNameChanged(false)
                .setOflag(0).setFlags(List.of("O_RDONLY")).setMode(0).setReturnValue(3L).build());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        view.render(new PrintStream(bytes, true, StandardCharsets.UTF_8), new StatsReporter.Counters("tracepoint", "", 1, 0, 0, 1, 0, 0, 0, null, 0));
        String screen = bytes.toString(StandardCharsets.UTF_8);
        String body = screen.substring("\033[H\033[2J".length()); // the view's own clear-screen sequence comes first
        assertThat(body).contains("ev\\x1b]0;pwn\\x07").contains("\"q\\x1b[2J\\x0d\\x0a\\xe2\\x80\\xae\"")
                .doesNotContain("\u001b").doesNotContain("\r").doesNotContain("\u0007").doesNotContain("\u202e");
    }

    @Test
    void theSummarySaysWhatWasLeftUnsentInTheSpool() {
        LiveView view = new LiveView("header", false);
        // captured 10: 6 acknowledged, 1 dropped, 1 failed, 2 never sent
        String s = view.summary(new StatsReporter.Counters("tracepoint", "", 10, 0, 1, 6, 1, 0, 10, null, 0));
        assertThat(s).contains("captured 10, published 6").contains("dropped 1, failed 1, unsent 2 (left in the demo's spool");
        assertThat(view.summary(new StatsReporter.Counters("tracepoint", "", 6, 0, 0, 6, 0, 0, 6, null, 0))).doesNotContain("unsent");
    }

    @Test
    void everyRecordTypeHasItsLineAndIsCountedByType() {
        LiveView view = new LiveView("header", true);
        view.add(io.mqtap.avro.MqUnlink.newBuilder().setHostname("h").setMachineId("m").setBootId("b").setRunId("r").setSequence(1)
                .setTimestamp(Instant.parse("2026-11-30T10:00:01Z")).setBootTimeNs(2L).setProbe("tracepoint").setApi("mq_unlink")
                .setCpu(0).setPid(7L).setTid(7L).setPpid(1L).setNsPid(7L).setNsTid(7L).setUid(0L).setGid(0L).setEuid(0L).setFsuid(0L)
                .setComm("app").setCgroupId(1L).setMntNs(1L).setPidNs(1L).setUserNs(1L).setIpcNs(1L).setProcessStartNs(1L)
                .setName("orders").setNameRaw(ByteBuffer.wrap("orders".getBytes(StandardCharsets.UTF_8))).setNameTruncated(false)
                .setReturnValue(-2L).setErrno("ENOENT").build());
        view.add(io.mqtap.avro.MqAccess.newBuilder().setHostname("h").setMachineId("m").setBootId("b").setRunId("r").setSequence(2)
                .setTimestamp(Instant.parse("2026-11-30T10:00:10Z")).setProbe("tracepoint").setCall("send")
                .setWindowStart(Instant.parse("2026-11-30T10:00:00Z")).setWindowEnd(Instant.parse("2026-11-30T10:00:10Z"))
                .setCalls(1000L).setErrors(java.util.Map.of("EAGAIN", 3L)).setBytes(64_000L).setCallsAfterUnlink(0L).setWithTimeout(0L)
                .setOverflow(false).setPid(8L).setComm("sender").setKernelName("/orders").build());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        view.render(new PrintStream(bytes, true, StandardCharsets.UTF_8), new StatsReporter.Counters("tracepoint", "", 2, 0, 0, 2, 0, 0, 1, null, 0));
        String screen = bytes.toString(StandardCharsets.UTF_8);
        assertThat(screen).contains("by record:   MqAccess 1   MqUnlink 1").contains("MqUnlink   pid 7       app             \"orders\"")
                .contains("-> ENOENT").contains("send     1000 calls, 64000 B on /orders, errors {EAGAIN=3}");
    }
}
