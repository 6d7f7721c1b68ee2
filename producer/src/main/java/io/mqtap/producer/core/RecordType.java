package io.mqtap.producer.core;

import io.mqtap.avro.MqAccess;
import io.mqtap.avro.MqNotify;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqSetAttr;
import io.mqtap.avro.MqTransfer;
import io.mqtap.avro.MqUnlink;
import java.time.Instant;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * The record types the producer publishes, one topic each (README, Records and topics). The order is part of the
 * spool's format: a spooled record's type is its place here (the branch of {@link #SPOOL_SCHEMA}), so new types are
 * only ever added at the end.
 */
public enum RecordType {
    OPEN(MqOpen.getClassSchema()),
    UNLINK(MqUnlink.getClassSchema()),
    NOTIFY(MqNotify.getClassSchema()),
    SETATTR(MqSetAttr.getClassSchema()),
    ACCESS(MqAccess.getClassSchema()),
    TRANSFER(MqTransfer.getClassSchema());

    /** The writer schema spool segments carry: the union of every type's schema, in this order. */
    public static final Schema SPOOL_SCHEMA = Schema.createUnion(Arrays.stream(values()).map(RecordType::schema).toList());

    private final Schema schema;

    RecordType(Schema schema) {
        this.schema = schema;
    }

    public Schema schema() {
        return schema;
    }

    /** The record's name as users see it ("MqOpen", "MqAccess", ...): tail's and the demo's {@code type} field. */
    public String recordName() {
        return schema.getName();
    }

    public static RecordType of(SpecificRecord r) {
        return ofName(r.getSchema().getFullName());
    }

    /** The type of a schema's full name (io.mqtap.avro.MqOpen), or IllegalArgumentException. */
    public static RecordType ofName(String fullName) {
        for (RecordType t : values())
            if (t.schema.getFullName().equals(fullName)) return t;
        throw new IllegalArgumentException("not a record type mqtap publishes: " + fullName);
    }

    /** Every record type carries the run's sequence. */
    public static long sequence(SpecificRecord r) {
        return (Long) ((SpecificRecordBase) r).get("sequence");
    }

    /** Every record type carries a timestamp (the call, or an access window's end). */
    public static Instant timestamp(SpecificRecord r) {
        return (Instant) ((SpecificRecordBase) r).get("timestamp");
    }
}
