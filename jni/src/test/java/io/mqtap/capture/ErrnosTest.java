package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ErrnosTest {
    @Test
    void namesComeFromTheCLibrarysTable() {
        assertThat(Errnos.ofReturn(3)).isNull();
        assertThat(Errnos.ofReturn(-2)).isEqualTo("ENOENT");
        assertThat(Errnos.ofReturn(-13)).isEqualTo("EACCES");
        assertThat(Errnos.ofReturn(-17)).isEqualTo("EEXIST");
        assertThat(Errnos.ofReturn(-22)).isEqualTo("EINVAL");
        assertThat(Errnos.ofReturn(-36)).isEqualTo("ENAMETOOLONG");
        assertThat(Errnos.ofReturn(-4095)).isEqualTo("E4095");
        assertThat(Errnos.name(24)).isEqualTo("EMFILE");
        assertThat(Errnos.name(95)).isEqualTo("EOPNOTSUPP");
        assertThat(Errnos.name(133)).isEqualTo("EHWPOISON");
    }

    @Test
    void aNumberWithoutANameIsSpelledOut() {
        assertThat(Errnos.name(41)).isEqualTo("E41"); // a hole in Linux's numbering
        assertThat(Errnos.name(512)).isEqualTo("E512"); // kernel-internal ERESTARTSYS
        assertThat(Errnos.name(0)).isEqualTo("E0");
    }
}
