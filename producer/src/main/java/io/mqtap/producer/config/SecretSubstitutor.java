package io.mqtap.producer.config;

import io.dropwizard.configuration.UndefinedEnvironmentVariableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.text.StringSubstitutor;
import org.apache.commons.text.TextStringBuilder;
import org.apache.commons.text.lookup.StringLookup;

/**
 * Substitutes the configuration file's variables: {@code ${VAR}} and {@code ${VAR:-default}} from the environment
 * (an unset variable without a default fails the start, naming it), and {@code ${file:/path}} with the content of a
 * file (a secret mounted by systemd, Kubernetes or Vault), one trailing newline removed. A missing or unreadable file
 * fails the start naming the path; the values themselves never appear in a message.
 */
public final class SecretSubstitutor extends StringSubstitutor {
    static final String FILE_PREFIX = "file:";
    /** Secret files are small; anything bigger is a mistake (a wrong path), not a secret. */
    private static final long MAX_FILE_BYTES = 64 * 1024;

    public SecretSubstitutor() {
        super(new Lookup());
        setEnableUndefinedVariableException(true);
        setEnableSubstitutionInVariables(false);
    }

    @Override
    protected boolean substitute(TextStringBuilder buf, int offset, int length) {
        try {
            return super.substitute(buf, offset, length);
        } catch (IllegalArgumentException e) {
            // commons-text says "Cannot resolve variable 'X' (enableSubstituteInVariables=false)."; Dropwizard's own
            // exception type makes the CLI print just that line
            if (e.getMessage() != null && e.getMessage().contains("Cannot resolve variable")) {
                throw new UndefinedEnvironmentVariableException(e.getMessage()
                        + " Set the environment variable, or give a default with ${VAR:-default}.");
            }
            throw e;
        }
    }

    private static final class Lookup implements StringLookup {
        @Override
        public String lookup(String key) {
            if (key.startsWith(FILE_PREFIX)) return readSecretFile(key.substring(FILE_PREFIX.length()));
            return System.getenv(key);
        }
    }

    static String readSecretFile(String name) {
        Path path = Path.of(name);
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("${file:" + name + "}: the secret file's path must be absolute");
        }
        try {
            if (Files.size(path) > MAX_FILE_BYTES) {
                throw new IllegalArgumentException("${file:" + name + "}: the secret file is larger than " + MAX_FILE_BYTES + " bytes");
            }
            String s = Files.readString(path, StandardCharsets.UTF_8);
            if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
            if (s.endsWith("\r")) s = s.substring(0, s.length() - 1);
            // the value lands in YAML text: a line break or control byte could add keys of its own
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw new IllegalArgumentException("${file:" + name + "}: the secret file holds a line break or control "
                            + "character (after one trailing newline); it must hold a single line");
                }
            }
            return s;
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("${file:" + name + "}: the secret file is not UTF-8 text", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("${file:" + name + "}: cannot read the secret file: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        }
    }
}
