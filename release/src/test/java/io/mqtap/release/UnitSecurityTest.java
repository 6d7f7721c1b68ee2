package io.mqtap.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The unit the package installs, as systemd's own analyzer scores it (Debian's systemd, offline). */
class UnitSecurityTest {
    @Test
    void exposureScoreIsAtMostOnePointEight() throws Exception {
        Process p = new ProcessBuilder("systemd-analyze", "security", "--offline=true", "--no-pager", Unit.file().toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        Matcher m = Pattern.compile("Overall exposure level for mqtap.service: ([0-9.]+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        assertThat(Double.parseDouble(m.group(1))).as(out).isLessThanOrEqualTo(1.8);
    }

    @Test
    void runsTheInstalledLauncherAsTheServiceUserWithTwoCapabilities() throws Exception {
        Unit u = Unit.read(Unit.file());
        assertThat(u.one("ExecStart")).isEqualTo("/usr/lib/mqtap/bin/mqtap server /etc/mqtap/config.yml");
        assertThat(u.one("User")).isEqualTo("mqtap");
        assertThat(u.capsFor("AmbientCapabilities")).isEqualTo("+bpf,+perfmon");
        assertThat(u.capsFor("CapabilityBoundingSet")).isEqualTo("+bpf,+perfmon");
        assertThat(u.one("NoNewPrivileges")).isEqualTo("yes");
        assertThat(u.one("Type")).isEqualTo("notify");
        assertThat(u.one("WatchdogSec")).isEqualTo("30s");
        assertThat(u.one("StateDirectory")).isEqualTo("mqtap");
    }
}
