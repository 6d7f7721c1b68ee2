package io.mqtap.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** deploy/prometheus/mqtap-rules.yml through Prometheus's own promtool (Debian's prometheus package). */
class PrometheusRulesTest {
    static final Path RULES = Path.of(System.getProperty("mqtap.root", "..")).resolve("deploy/prometheus");

    private static String promtool(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "promtool";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).directory(RULES.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    @Test
    void rulesAreValid() throws Exception {
        assertThat(promtool("check", "rules", "mqtap-rules.yml")).contains("SUCCESS: 9 rules found");
    }

    @Test
    void eachAlertFiresOnItsSeriesAndNotOnOthers() throws Exception {
        assertThat(promtool("test", "rules", "mqtap-rules.test.yml")).contains("SUCCESS");
    }
}
