package io.mqtap.producer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dropwizard.configuration.UndefinedEnvironmentVariableException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ${file:/path} reads a one-line secret; the environment stays strict; no message shows a secret. */
class SecretSubstitutorTest {
    @TempDir Path dir;

    @Test
    void aFileSecretIsReadWithoutItsTrailingNewline() throws Exception {
        Path f = Files.writeString(dir.resolve("pw"), "s3cret: with # yaml bits\n");
        assertThat(new SecretSubstitutor().replace("password: \"${file:" + f + "}\"")).isEqualTo("password: \"s3cret: with # yaml bits\"");
    }

    @Test
    void aMissingFileIsNamed() {
        Path f = dir.resolve("nope");
        assertThatThrownBy(() -> new SecretSubstitutor().replace("x: ${file:" + f + "}"))
                .hasMessageContaining(f.toString()).hasMessageContaining("cannot read");
    }

    @Test
    void aMultiLineFileIsRefusedWithoutShowingIt() throws Exception {
        Path f = Files.writeString(dir.resolve("pw"), "line-one-secret\nkafka:\n  bootstrapServers: evil:9092\n");
        assertThatThrownBy(() -> new SecretSubstitutor().replace("x: ${file:" + f + "}"))
                .hasMessageContaining(f.toString()).hasMessageContaining("single line")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("line-one-secret"));
    }

    @Test
    void aRelativePathIsRefused() {
        assertThatThrownBy(() -> new SecretSubstitutor().replace("x: ${file:pw.txt}")).hasMessageContaining("absolute");
    }

    @Test
    void anUnsetVariableIsStillAnError() {
        assertThatThrownBy(() -> new SecretSubstitutor().replace("x: ${MQTAP_TEST_SURELY_UNSET_VAR}"))
                .isInstanceOf(UndefinedEnvironmentVariableException.class).hasMessageContaining("MQTAP_TEST_SURELY_UNSET_VAR");
        assertThat(new SecretSubstitutor().replace("x: ${MQTAP_TEST_SURELY_UNSET_VAR:-d}")).isEqualTo("x: d");
        assertThat(new SecretSubstitutor().replace("x: ${PATH}")).isEqualTo("x: " + System.getenv("PATH"));
    }
}
