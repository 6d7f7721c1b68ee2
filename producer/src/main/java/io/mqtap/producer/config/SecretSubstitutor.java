package io.mqtap.producer.config;

import io.dropwizard.configuration.UndefinedEnvironmentVariableException;
import io.mqtap.config.ConfigSubstitutor;
import org.apache.commons.text.TextStringBuilder;

/**
 * The producer's side of mqtap's one config substitution ({@link ConfigSubstitutor}: {@code ${VAR}},
 * {@code ${VAR:-default}}, {@code ${file:/path}}): an unset variable becomes Dropwizard's own exception type, so the
 * CLI prints just its one line.
 */
public final class SecretSubstitutor extends ConfigSubstitutor {
    @Override
    protected boolean substitute(TextStringBuilder buf, int offset, int length) {
        try {
            return super.substitute(buf, offset, length);
        } catch (UndefinedVariableException e) {
            throw new UndefinedEnvironmentVariableException(e.getMessage());
        }
    }
}
