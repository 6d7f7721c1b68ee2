package io.mqtap.streams;

import static io.mqtap.streams.Events.HOST_A;
import static io.mqtap.streams.Events.T0;
import static io.mqtap.streams.Events.created;
import static io.mqtap.streams.Events.failed;
import static io.mqtap.streams.Events.named;
import static io.mqtap.streams.Events.open;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenAlertSeverity;
import io.mqtap.streams.avro.MqOpenAlertType;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("registry")
class EventRulesTest {
    @TempDir Path stateDir;

    @Test
    void namesWithControlOrNonUtf8BytesAlert() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of())) {
            f.pipe(named(open(HOST_A, "app", T0), "plain-name".getBytes(), "plain-name").build());
            f.pipe(named(open(HOST_A, "app", T0).setSequence(1), "caf\u00e9".getBytes(java.nio.charset.StandardCharsets.UTF_8), "caf\u00e9").build());
            f.pipe(named(open(HOST_A, "app", T0).setSequence(2), new byte[] {'a', 0x1b, '[', '2', 'J'}, "a\u001b[2J").build());
            f.pipe(named(open(HOST_A, "app", T0).setSequence(3), new byte[] {'q', (byte) 0xc3, '(', 'x'}, "q\\xc3(x").build());
            f.pipe(named(open(HOST_A, "app", T0).setSequence(4), new byte[] {'d', 'e', 'l', 0x7f}, "del\u007f").build());

            List<MqOpenAlert> alerts = f.alerts.readValuesToList();
            assertThat(alerts).extracting(MqOpenAlert::getType).containsOnly(MqOpenAlertType.SUSPICIOUS_NAME);
            assertThat(alerts).extracting(MqOpenAlert::getSequence).containsExactly(2L, 3L, 4L);
            assertThat(alerts.get(0).getMessage()).contains("control byte 0x1b");
            assertThat(alerts.get(1).getMessage()).contains("not valid UTF-8");
            assertThat(alerts.get(1).getQueueName()).isEqualTo("q\\xc3(x");
            assertThat(bytes(alerts.get(1).getNameRaw())).containsExactly('q', (byte) 0xc3, '(', 'x');
            assertThat(alerts.get(2).getMessage()).contains("control byte 0x7f");
            assertThat(alerts).allSatisfy(a -> {
                assertThat(a.getSeverity()).isEqualTo(MqOpenAlertSeverity.WARNING);
                assertThat(a.getRunId()).isEqualTo(Events.RUN);
                assertThat(a.getPid()).isEqualTo(1234L);
                assertThat(a.getTimestamp()).isEqualTo(T0);
            });
        }
    }

    @Test
    void alertMessagesShowControlAndBidiCharactersAsHexWhileTheFieldsKeepThemRaw() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of())) {
            byte[] raw = "x\u001b[2J\r\nFAKE\u202egpj.exe".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String name = new String(raw, java.nio.charset.StandardCharsets.UTF_8);
            f.pipe(named(open(HOST_A, "ev\u001bil\u2066", T0), raw, name).build());
            MqOpenAlert a = f.alerts.readValuesToList().get(0);
            assertThat(a.getMessage()).contains("ev\\x1bil\\xe2\\x81\\xa6 (pid")
                    .contains("'x\\x1b[2J\\x0d\\x0aFAKE\\xe2\\x80\\xaegpj.exe'")
                    .doesNotContain("\u001b").doesNotContain("\r").doesNotContain("\n").doesNotContain("\u202e").doesNotContain("\u2066");
            assertThat(a.getQueueName()).isEqualTo(name);
            assertThat(a.getComm()).isEqualTo("ev\u001bil\u2066");
            assertThat(bytes(a.getNameRaw())).containsExactly(raw);
        }
    }

    @Test
    void successfulCreateWithOtherWriteBitAlerts() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of())) {
            f.pipe(created(open(HOST_A, "maker", T0).setSequence(1), 0666).build());
            f.pipe(created(open(HOST_A, "maker", T0).setSequence(2), 0644).build()); // not world-writable
            f.pipe(failed(created(open(HOST_A, "maker", T0).setSequence(3), 0666), "EEXIST", 17).build()); // not created
            f.pipe(open(HOST_A, "maker", T0).setSequence(4).setMode(0666).build()); // no O_CREAT: mode unused
            f.pipe(created(open(HOST_A, "maker", T0).setSequence(5), 0602).build());

            List<MqOpenAlert> alerts = f.alerts.readValuesToList();
            assertThat(alerts).extracting(MqOpenAlert::getType).containsOnly(MqOpenAlertType.WORLD_WRITABLE_CREATE);
            assertThat(alerts).extracting(MqOpenAlert::getSequence).containsExactly(1L, 5L);
            assertThat(alerts).extracting(MqOpenAlert::getMode).containsExactly(0666, 0602);
            assertThat(alerts.get(0).getMessage()).contains("world-writable mode 0666");
        }
    }

    @Test
    void nameChangedDuringTheCallIsCritical() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of())) {
            f.pipe(open(HOST_A, "racer", T0).setSequence(7).setNameChanged(true).build());
            f.pipe(open(HOST_A, "racer", T0).setSequence(8).build());
            assertThat(f.alerts.readKeyValuesToList()).singleElement().satisfies(kv -> {
                assertThat(kv.key).isEqualTo(HOST_A);
                assertThat(kv.value.getType()).isEqualTo(MqOpenAlertType.NAME_CHANGED);
                assertThat(kv.value.getSeverity()).isEqualTo(MqOpenAlertSeverity.CRITICAL);
                assertThat(kv.value.getSequence()).isEqualTo(7L);
                assertThat(kv.value.getMessage()).contains("TOCTOU");
            });
        }
    }

    @Test
    void oneEventCanRaiseSeveralAlerts() {
        var e = named(created(open(HOST_A, "evil", T0), 0777), new byte[] {'x', 0x01}, "x\u0001")
                .setNameChanged(true).build();
        assertThat(EventRules.alertsFor(e)).extracting(MqOpenAlert::getType).containsExactly(
                MqOpenAlertType.SUSPICIOUS_NAME, MqOpenAlertType.WORLD_WRITABLE_CREATE, MqOpenAlertType.NAME_CHANGED);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** Version-2 records: the mode the kernel set, after the umask, and whether this call created the queue. */
    @Test
    void worldWritableCreateUsesTheModeTheKernelSetAndCreated() {
        assertThat(EventRules.alertsFor(created(open(HOST_A, "maker", T0), 0666).setQueueMode(0644).setCreated(true)
                .setKernelName("/queue").build())).as("the umask cleared the other-write bit").isEmpty();
        assertThat(EventRules.alertsFor(created(open(HOST_A, "maker", T0), 0644).setQueueMode(0666).setCreated(false)
                .setKernelName("/queue").build())).as("an existing world-writable queue, not created by this call").isEmpty();
        List<MqOpenAlert> made = EventRules.alertsFor(created(open(HOST_A, "maker", T0), 0666).setQueueMode(0666)
                .setCreated(true).setKernelName("/queue").build());
        assertThat(made).singleElement().satisfies(a -> {
            assertThat(a.getType()).isEqualTo(MqOpenAlertType.WORLD_WRITABLE_CREATE);
            assertThat(a.getQueueMode()).isEqualTo(0666);
            assertThat(a.getCreated()).isTrue();
            assertThat(a.getKernelName()).isEqualTo("/queue");
            assertThat(a.getMessage()).contains("created world-writable with mode 0666 (asked 0666)");
        });
        List<MqOpenAlert> unknown = EventRules.alertsFor(created(open(HOST_A, "maker", T0), 0666).setQueueMode(0662)
                .setCreated(null).setKernelName("/queue").build());
        assertThat(unknown).singleElement().satisfies(a -> {
            assertThat(a.getCreated()).isNull();
            assertThat(a.getMessage()).contains("cannot tell whether this call created it");
        });
    }

    /** Only a real change alerts: an unreadable name at entry that the kernel resolved is not one. */
    @Test
    void nameChangedAlertsOnlyOnARealChange() {
        assertThat(EventRules.alertsFor(open(HOST_A, "slow", T0).setName("").setNameRaw(java.nio.ByteBuffer.allocate(0))
                .setNameError("EFAULT").setNameChanged(true).build()))
                .as("the old false alarm: unreadable at entry, read at exit").isEmpty();
        List<MqOpenAlert> real = EventRules.alertsFor(open(HOST_A, "racer", T0).setNameChanged(true)
                .setKernelName("/other").build());
        assertThat(real).singleElement().satisfies(a -> {
            assertThat(a.getType()).isEqualTo(MqOpenAlertType.NAME_CHANGED);
            assertThat(a.getKernelName()).isEqualTo("/other");
            assertThat(a.getMessage()).contains("opened '/other' while user memory held 'queue' at entry");
        });
    }
}
