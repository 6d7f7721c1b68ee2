package io.mqtap.producer.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.capture.AttachMode;
import io.mqtap.capture.MqOpenEvent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Queue names replaced by their HMAC-SHA256 when a key is set; as they are otherwise. */
class NameHmacTest {
    private static final HostIdentity HOST = new HostIdentity("h", "m", "b", "run-1");

    private static MqOpenEvent event(byte[] name) {
        return new MqOpenEvent(1_000_000_000L, 0, 100, 100, 1, 100, 0, 0, "t", 1, 2, 3, name, false, 0, false, 02, 0600,
                false, 0, 0, 0, 0, 3, AttachMode.TRACEPOINT, 1000, 0);
    }

    /** A success on the queue the kernel calls {@code kernelName}, with every field of the second layout set. */
    private static MqOpenEvent success(byte[] name, byte[] kernelName) {
        return new MqOpenEvent(1_000_000_000L, 0, 100, 101, 1, 7, 1001, 1001, "t", 1, 2, 3, name, false, 0,
                !Arrays.equals(name, kernelName), 0102, 0666, false, 0, 0, 0, 0, 3, AttachMode.TRACEPOINT, 1000, 0, 8, 1002,
                1003, 4242L, 5, 6, 777L, "worker".getBytes(StandardCharsets.US_ASCII), MqOpenEvent.Api.OPEN, true,
                new MqOpenEvent.Queue(9, 10, 0600, 1003, 1004, kernelName));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void matchesTheRfc4231TestVector() {
        byte[] key = new byte[20];
        Arrays.fill(key, (byte) 0x0b);
        byte[] d = new NameHmac(key).digest("Hi There".getBytes(StandardCharsets.US_ASCII));
        assertThat(HexFormat.of().formatHex(d)).isEqualTo("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        NameHmac hmac = new NameHmac(key);
        String id = HexFormat.of().formatHex(hmac.digest("mqtap name hmac key id".getBytes(StandardCharsets.US_ASCII)), 0, 4);
        assertThat(hmac.keyId()).isEqualTo(id);
        assertThat(hmac.label(d)).isEqualTo("hmac-sha256:" + id + ":b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    }

    @Test
    void everyHashedNameCarriesItsKeyIdSoARotationShows() {
        byte[] name = "orders".getBytes(StandardCharsets.US_ASCII);
        NameHmac old = NameHmac.ofText("0123456789abcdef0123456789abcdef-2025");
        NameHmac next = NameHmac.ofText("fedcba9876543210fedcba9876543210-2026");
        assertThat(old.keyId()).matches("[0-9a-f]{8}").isNotEqualTo(next.keyId());
        assertThat(old.label(old.digest(name))).startsWith("hmac-sha256:" + old.keyId() + ":");
        assertThat(next.label(next.digest(name))).startsWith("hmac-sha256:" + next.keyId() + ":");
        NameHmac named = NameHmac.ofText("0123456789abcdef0123456789abcdef-2025", "site-2025");
        assertThat(named.label(named.digest(name))).isEqualTo("hmac-sha256:site-2025:" + HexFormat.of().formatHex(old.digest(name)));
        assertThat(old.toString()).contains(old.keyId()).doesNotContain("0123456789abcdef");
    }

    @Test
    void theMapperPublishesTheKeyedHashOfTheExactNameBytes() {
        NameHmac hmac = NameHmac.ofText("0123456789abcdef-site-key");
        MqOpenMapper mapper = new MqOpenMapper(HOST, new BootClock(), Workloads.fromCgroups(), hmac);
        byte[] odd = {(byte) 0xc3, 0x28, '\\', 0x0a, 'q'};
        MqOpen a = mapper.toRecord(event(odd), 0);
        MqOpen b = mapper.toRecord(event(odd.clone()), 1);
        MqOpen other = mapper.toRecord(event("q".getBytes(StandardCharsets.US_ASCII)), 2);

        assertThat(a.getName()).matches("hmac-sha256:[0-9a-f]{8}:[0-9a-f]{64}").isEqualTo(b.getName()).isNotEqualTo(other.getName());
        assertThat(bytes(a.getNameRaw())).hasSize(32).isEqualTo(hmac.digest(odd)).isEqualTo(bytes(b.getNameRaw()));
        assertThat(a.getName()).isEqualTo("hmac-sha256:" + hmac.keyId() + ":" + HexFormat.of().formatHex(bytes(a.getNameRaw())));
        // another key, another value: nothing to look up across sites
        MqOpen elsewhere = new MqOpenMapper(HOST, new BootClock(), Workloads.fromCgroups(), NameHmac.ofText("another-key-of-16+"))
                .toRecord(event(odd), 0);
        assertThat(elsewhere.getName()).isNotEqualTo(a.getName());
        assertThat(hmac.toString()).doesNotContain("0123456789abcdef");
    }

    @Test
    void theKernelsNameIsHashedLikeTheNameSoTheyStillCompare() {
        NameHmac hmac = NameHmac.ofText("0123456789abcdef-site-key");
        MqOpenMapper mapper = new MqOpenMapper(HOST, new BootClock(), Workloads.fromCgroups(), hmac);
        byte[] q = "orders".getBytes(StandardCharsets.US_ASCII);
        MqOpen same = mapper.toRecord(success(q, q), 0);
        MqOpen changed = mapper.toRecord(success(q, "orders2".getBytes(StandardCharsets.US_ASCII)), 1);
        assertThat(same.getKernelName()).isEqualTo(same.getName()).matches("hmac-sha256:" + hmac.keyId() + ":[0-9a-f]{64}");
        assertThat(changed.getKernelName()).isNotEqualTo(changed.getName());
        assertThat(changed.getNameChanged()).isTrue();
    }

    @Test
    void everyFieldOfTheSecondLayoutIsMapped() {
        MqOpen r = new MqOpenMapper(HOST, new BootClock(), Workloads.fromCgroups())
                .toRecord(success("q\\x".getBytes(StandardCharsets.US_ASCII), new byte[] {'q', (byte) 0xff}), 0);
        assertThat(r.getApi()).isEqualTo("open");
        assertThat(r.getKernelName()).as("with '/', lossless").isEqualTo("/q\\xff");
        assertThat(r.getQueueIpcNs()).isEqualTo(9);
        assertThat(r.getQueueInode()).isEqualTo(10);
        assertThat(r.getQueueMode()).isEqualTo(0600);
        assertThat(r.getQueueUid()).isEqualTo(1003);
        assertThat(r.getQueueGid()).isEqualTo(1004);
        assertThat(r.getCreated()).isTrue();
        assertThat(r.getEuid()).isEqualTo(1002);
        assertThat(r.getFsuid()).isEqualTo(1003);
        assertThat(r.getLoginUid()).isEqualTo(4242);
        assertThat(r.getUserNs()).isEqualTo(5);
        assertThat(r.getIpcNs()).isEqualTo(6);
        assertThat(r.getProcessStartNs()).isEqualTo(777);
        assertThat(r.getExe()).isEqualTo("worker");
        assertThat(r.getNsTid()).isEqualTo(8);
        MqOpen failed = new MqOpenMapper(HOST, new BootClock(), Workloads.fromCgroups()).toRecord(event("q".getBytes()), 1);
        assertThat(failed.getKernelName()).isNull();
        assertThat(failed.getQueueInode()).isNull();
        assertThat(failed.getCreated()).isNull();
        assertThat(failed.getApi()).isEqualTo("mq_open");
    }

    @Test
    void withoutAKeyNamesAreAsCaptured() {
        MqOpen r = new MqOpenMapper(HOST, new BootClock(), Workloads.fromCgroups()).toRecord(event("app-q".getBytes()), 0);
        assertThat(r.getName()).isEqualTo("app-q");
        assertThat(bytes(r.getNameRaw())).isEqualTo("app-q".getBytes());
    }
}
