package io.mqtap.producer.kafka;

import io.mqtap.producer.core.RecordType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.Map;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * The Avro binary body of a record of any type the producer publishes (no Confluent header: the schema id is put in
 * front when the record is sent, so the spool does not depend on the registry). One instance per thread; it reuses
 * its buffers.
 */
public final class RecordBodies {
    /**
     * The writer schema every body of this build is encoded with, kept by the spool beside the records: the union of
     * every record type's schema ({@link RecordType#SPOOL_SCHEMA}); a spooled record's type is its branch.
     */
    public static final String WRITER_SCHEMA = RecordType.SPOOL_SCHEMA.toString();

    private final Map<RecordType, SpecificDatumWriter<SpecificRecord>> writers = new EnumMap<>(RecordType.class);
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    private BinaryEncoder encoder;

    public byte[] encode(SpecificRecord record) {
        RecordType type = RecordType.of(record);
        // the generated model carries the timestamp-micros conversion
        SpecificDatumWriter<SpecificRecord> writer = writers.computeIfAbsent(type,
                t -> new SpecificDatumWriter<>(t.schema(), ((SpecificRecordBase) record).getSpecificData()));
        out.reset();
        encoder = EncoderFactory.get().binaryEncoder(out, encoder);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to encode an " + type.recordName() + " record", e);
        }
        return out.toByteArray();
    }
}
