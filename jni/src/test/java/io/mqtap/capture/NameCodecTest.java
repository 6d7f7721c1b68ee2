package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NameCodecTest {
    @Test
    void keepsUtf8AndEscapesEverythingElse() {
        assertThat(NameCodec.decode("queue-1".getBytes(StandardCharsets.UTF_8))).isEqualTo("queue-1");
        assertThat(NameCodec.decode("żółw".getBytes(StandardCharsets.UTF_8))).isEqualTo("żółw");
        assertThat(NameCodec.decode(new byte[] {'a', (byte) 0xff, 'b'})).isEqualTo("a\\xffb");
        assertThat(NameCodec.decode(new byte[] {'a', '\\', 'x', '4', '1'})).isEqualTo("a\\x5cx41");
        // a multi-byte sequence cut short at the end of a truncated name
        assertThat(NameCodec.decode(new byte[] {'q', (byte) 0xc5})).isEqualTo("q\\xc5");
        assertThat(NameCodec.decode(new byte[0])).isEmpty();
    }

    @Test
    void controlBytesStayAsTheyAreSinceTheyAreValidUtf8() {
        assertThat(NameCodec.decode(new byte[] {'a', 0x01, '\n'})).isEqualTo("a\u0001\n");
    }

    @Test
    void isLosslessForRandomBytes() {
        Random r = new Random(42);
        for (int i = 0; i < 5_000; i++) {
            byte[] b = new byte[r.nextInt(300)];
            r.nextBytes(b);
            assertThat(NameCodec.encode(NameCodec.decode(b))).isEqualTo(b);
        }
    }
}
