package io.mqtap.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a fleet's CI/CD does before the hosts start (the shipped config has autoRegister off): the packaged command
 * line with {@code register-schemas} in place of {@code server}, in the service's environment.
 */
final class SchemasFirst {
    private SchemasFirst() {}

    static void register(List<String> serverCommand, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(serverCommand);
        int at = cmd.indexOf("server");
        assertThat(at).as("the service's command line runs server: %s", cmd).isNotNegative();
        cmd.set(at, "register-schemas");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes(); // it ends by itself; its output is short
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(text).contains("registered io.mqtap.avro.MqOpen on mq-open-events");
    }
}
