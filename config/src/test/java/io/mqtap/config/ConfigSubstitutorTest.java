package io.mqtap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ${VAR}, ${VAR:-default} and ${file:/path}; the environment stays strict; no message shows a secret. */
class ConfigSubstitutorTest {
    @TempDir Path dir;

    private static final ConfigSubstitutor ENV = new ConfigSubstitutor(Map.of("HOST", "kafka-1:9092")::get);

    @Test
    void variablesDefaultsAndLiterals() {
        assertThat(ENV.replace("bootstrap: ${HOST}")).isEqualTo("bootstrap: kafka-1:9092");
        assertThat(ENV.replace("x: ${UNSET:-fallback}")).isEqualTo("x: fallback");
        assertThat(ENV.replace("x: $${HOST}")).isEqualTo("x: ${HOST}");
        assertThat(new ConfigSubstitutor().replace("x: ${PATH}")).isEqualTo("x: " + System.getenv("PATH"));
    }

    @Test
    void anUnsetVariableIsNamed() {
        assertThatThrownBy(() -> ENV.replace("x: ${MQTAP_TEST_SURELY_UNSET_VAR}"))
                .isInstanceOf(ConfigSubstitutor.UndefinedVariableException.class)
                .hasMessageContaining("MQTAP_TEST_SURELY_UNSET_VAR").hasMessageContaining("${VAR:-default}");
    }

    @Test
    void aFileSecretIsReadWithoutItsTrailingNewline() throws Exception {
        Path f = Files.writeString(dir.resolve("pw"), "s3cret: with # yaml bits\n");
        assertThat(ENV.replace("password: \"${file:" + f + "}\"")).isEqualTo("password: \"s3cret: with # yaml bits\"");
    }

    @Test
    void aMissingFileIsNamed() {
        Path f = dir.resolve("nope");
        assertThatThrownBy(() -> ENV.replace("x: ${file:" + f + "}"))
                .hasMessageContaining(f.toString()).hasMessageContaining("cannot read");
    }

    @Test
    void aMultiLineFileIsRefusedWithoutShowingIt() throws Exception {
        Path f = Files.writeString(dir.resolve("pw"), "line-one-secret\nkafka:\n  bootstrapServers: evil:9092\n");
        assertThatThrownBy(() -> ENV.replace("x: ${file:" + f + "}"))
                .hasMessageContaining(f.toString()).hasMessageContaining("single line")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("line-one-secret"));
    }

    @Test
    void aRelativePathIsRefused() {
        assertThatThrownBy(() -> ENV.replace("x: ${file:pw.txt}")).hasMessageContaining("absolute");
    }

    @Test
    void aValueIsNeverExpandedAgain() throws Exception {
        Path shadow = Files.writeString(dir.resolve("shadow"), "root:hash");
        Path pw = Files.writeString(dir.resolve("pw"), "${file:" + shadow + "}\n");
        ConfigSubstitutor env = new ConfigSubstitutor(Map.of("PASSWORD", "pa${HOME}ss", "READS", "${file:" + shadow + "}")::get);
        assertThat(env.replace("p: ${PASSWORD}")).isEqualTo("p: pa${HOME}ss");
        assertThat(env.replace("p: ${READS}")).isEqualTo("p: ${file:" + shadow + "}");
        assertThat(env.replace("p: ${file:" + pw + "}")).isEqualTo("p: ${file:" + shadow + "}");
    }
}
