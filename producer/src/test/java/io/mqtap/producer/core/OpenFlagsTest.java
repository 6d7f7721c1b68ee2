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

    @Test
    void errnoNames() {
        assertThat(Errnos.ofReturn(3)).isNull();
        assertThat(Errnos.ofReturn(-2)).isEqualTo("ENOENT");
        assertThat(Errnos.ofReturn(-13)).isEqualTo("EACCES");
        assertThat(Errnos.ofReturn(-17)).isEqualTo("EEXIST");
        assertThat(Errnos.ofReturn(-22)).isEqualTo("EINVAL");
        assertThat(Errnos.ofReturn(-36)).isEqualTo("ENAMETOOLONG");
        assertThat(Errnos.ofReturn(-4095)).isEqualTo("E4095");
    }
}
