package io.mqtap.producer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dropwizard.configuration.UndefinedEnvironmentVariableException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The producer reads its file through the shared substitution (its own cases: config's ConfigSubstitutorTest);
 * what is the producer's own: Dropwizard's exception type for an unset variable.
 */
class SecretSubstitutorTest {
    @TempDir Path dir;

    @Test
    void aFileSecretIsReadWithoutItsTrailingNewline() throws Exception {
        Path f = Files.writeString(dir.resolve("pw"), "s3cret: with # yaml bits\n");
        assertThat(new SecretSubstitutor().replace("password: \"${file:" + f + "}\"")).isEqualTo("password: \"s3cret: with # yaml bits\"");
    }

    @Test
    void anUnsetVariableIsStillAnError() {
        assertThatThrownBy(() -> new SecretSubstitutor().replace("x: ${MQTAP_TEST_SURELY_UNSET_VAR}"))
                .isInstanceOf(UndefinedEnvironmentVariableException.class).hasMessageContaining("MQTAP_TEST_SURELY_UNSET_VAR");
        assertThat(new SecretSubstitutor().replace("x: ${MQTAP_TEST_SURELY_UNSET_VAR:-d}")).isEqualTo("x: d");
        assertThat(new SecretSubstitutor().replace("x: ${PATH}")).isEqualTo("x: " + System.getenv("PATH"));
    }
}
