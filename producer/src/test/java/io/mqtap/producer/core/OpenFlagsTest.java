package io.mqtap.producer.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OpenFlagsTest {
    @Test
    void namesAccessModeKnownBitsThenUnknownBitsInHex() {
        assertThat(OpenFlags.names(0)).containsExactly("O_RDONLY");
        assertThat(OpenFlags.names(01 | 0100 | 0200)).containsExactly("O_WRONLY", "O_CREAT", "O_EXCL");
        assertThat(OpenFlags.names(02 | 04000 | 02000000)).containsExactly("O_RDWR", "O_NONBLOCK", "O_CLOEXEC");
        assertThat(OpenFlags.names(02 | 0x40000)).containsExactly("O_RDWR", "0x40000");
        assertThat(OpenFlags.names(03)).containsExactly("O_ACCMODE");
    }
}
