package io.mqtap.registry;

/**
 * A Schema Registry call that failed: carries the HTTP status and the registry's own {@code error_code}
 * and {@code message} when it answered, or -1 for both when it could not be reached.
 */
public class SchemaRegistryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Confluent error codes (also served by Apicurio, Karapace, Redpanda). */
    public static final int SUBJECT_NOT_FOUND = 40401;
    public static final int VERSION_NOT_FOUND = 40402;
    public static final int SCHEMA_NOT_FOUND = 40403;
    public static final int INCOMPATIBLE_SCHEMA = 409;
    public static final int INVALID_SCHEMA = 42201;

    private final int httpStatus;
    private final int errorCode;
    private final String registryMessage;
    private final String subject;

    public SchemaRegistryException(String message, int httpStatus, int errorCode, String registryMessage, String subject, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.registryMessage = registryMessage;
        this.subject = subject;
    }

    /** The HTTP status of the registry's answer, or -1 when no answer came (connect error, timeout). */
    public int httpStatus() {
        return httpStatus;
    }

    /** The registry's {@code error_code} (e.g. 40403), or -1 when it sent none. */
    public int errorCode() {
        return errorCode;
    }

    /** The registry's own {@code message}, or null when it sent none. */
    public String registryMessage() {
        return registryMessage;
    }

    /** The subject the call was about, or null. */
    public String subject() {
        return subject;
    }

    /** No answer at all (the registry is down or unreachable). */
    public boolean isUnreachable() {
        return httpStatus < 0;
    }

    public boolean isIncompatible() {
        return httpStatus == 409 || errorCode == INCOMPATIBLE_SCHEMA;
    }

    /** The subject, version or schema id does not exist. */
    public boolean isNotFound() {
        return httpStatus == 404;
    }

    /** Worth trying again later: no answer, a 5xx, or 408/429. */
    public boolean isRetriable() {
        return httpStatus < 0 || httpStatus >= 500 || httpStatus == 408 || httpStatus == 429;
    }
}
