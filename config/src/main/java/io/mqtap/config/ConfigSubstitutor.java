package io.mqtap.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.apache.commons.text.StringSubstitutor;
import org.apache.commons.text.TextStringBuilder;

/**
 * The one substitution of mqtap's configuration files, the producer's YAML and the Streams app's properties or YAML:
 * {@code ${VAR}} and {@code ${VAR:-default}} from the environment, and {@code ${file:/path}} with the content of a
 * file (a secret mounted by systemd, Kubernetes or Vault), one trailing newline removed; {@code $${...}} is a literal.
 * An unset variable without a default throws {@link UndefinedVariableException} naming it; a missing or unreadable
 * file, or one that is not a single line, throws naming the path. Secret values never appear in a message, and a
 * {@code ${...}} inside a value (from the environment or a file) is kept as it is, not expanded again.
 */
public class ConfigSubstitutor extends StringSubstitutor {
    static final String FILE_PREFIX = "file:";
    /** Secret files are small; anything bigger is a mistake (a wrong path), not a secret. */
    private static final long MAX_FILE_BYTES = 64 * 1024;

    /** Variables from this process's environment. */
    public ConfigSubstitutor() {
        this(System::getenv);
    }

    /** Variables from {@code environment} (null for an unset one). */
    public ConfigSubstitutor(UnaryOperator<String> environment) {
        super(key -> key.startsWith(FILE_PREFIX) ? readSecretFile(key.substring(FILE_PREFIX.length())) : environment.apply(key));
        setEnableUndefinedVariableException(true);
        setEnableSubstitutionInVariables(false);
        // a secret's value is data: a password holding ${file:/etc/shadow} or ${OTHER} stays that text, never read or expanded
        setDisableSubstitutionInValues(true);
    }

    @Override
    protected boolean substitute(TextStringBuilder buf, int offset, int length) {
        try {
            return super.substitute(buf, offset, length);
        } catch (UndefinedVariableException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // commons-text says "Cannot resolve variable 'X' (enableSubstituteInVariables=false)."
            if (e.getMessage() != null && e.getMessage().contains("Cannot resolve variable")) {
                throw new UndefinedVariableException(e.getMessage()
                        + " Set the environment variable, or give a default with ${VAR:-default}.");
            }
            throw e;
        }
    }

    /** A variable that is not set and has no default. */
    public static final class UndefinedVariableException extends IllegalArgumentException {
        public UndefinedVariableException(String message) {
            super(message);
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
            // the value lands in YAML or properties text: a line break or control byte could add keys of its own
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw new IllegalArgumentException("${file:" + name + "}: the secret file holds a line break or control "
                            + "character (after one trailing newline); it must hold a single line");
                }
            }
            return s;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("${file:" + name + "}: the secret file is not UTF-8 text", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("${file:" + name + "}: cannot read the secret file: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        }
    }
}
