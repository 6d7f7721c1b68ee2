package io.mqtap.registry;

import java.util.Locale;
import org.apache.avro.Schema;

/**
 * How the registry subject of a record is named, as Confluent's serializers name it, so that mqtap's
 * subjects line up with every other Confluent-compatible client.
 */
public enum SubjectNameStrategy {
    /** {@code <topic>-key} / {@code <topic>-value}: one schema lineage per topic (the default). */
    TOPIC,
    /** The record's full name, e.g. {@code io.mqtap.avro.MqOpen}: one lineage per record type, across topics. */
    RECORD,
    /** {@code <topic>-<record full name>}: several record types in one topic, each with its own lineage. */
    TOPIC_RECORD;

    /** The subject for a record of {@code schema} sent to {@code topic} as key or value. */
    public String subjectName(String topic, boolean isKey, Schema schema) {
        return switch (this) {
            case TOPIC -> topic + (isKey ? "-key" : "-value");
            case RECORD -> recordName(schema);
            case TOPIC_RECORD -> topic + "-" + recordName(schema);
        };
    }

    private static String recordName(Schema schema) {
        if (schema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException("record name strategies need a record schema, not " + schema.getType());
        }
        return schema.getFullName();
    }

    /**
     * Parses {@code topic}, {@code record}, {@code topic-record} (any case, '_' or '-'), or Confluent's
     * strategy class names ({@code io.confluent.kafka.serializers.subject.TopicNameStrategy}, or just the simple name).
     */
    public static SubjectNameStrategy parse(String text) {
        String s = text.trim();
        int dot = s.lastIndexOf('.');
        if (dot >= 0) {
            s = s.substring(dot + 1);
        }
        String k = s.toLowerCase(Locale.ROOT).replace('_', '-');
        return switch (k) {
            case "topic", "topicnamestrategy" -> TOPIC;
            case "record", "recordnamestrategy" -> RECORD;
            case "topic-record", "topicrecord", "topicrecordnamestrategy" -> TOPIC_RECORD;
            default -> throw new IllegalArgumentException("unknown subject name strategy '" + text
                + "': use topic, record or topic-record (or Confluent's TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy)");
        };
    }
}
