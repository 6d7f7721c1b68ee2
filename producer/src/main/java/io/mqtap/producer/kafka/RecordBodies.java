package io.mqtap.producer.kafka;

import io.mqtap.avro.MqOpen;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * The Avro binary body of an {@code MqOpen} (no Confluent header: the schema id is put in front when the record is
 * sent, so the spool does not depend on the registry). One instance per thread; it reuses its buffers.
 */
public final class RecordBodies {
    /** The writer schema every body of this build is encoded with; the spool keeps it beside the records. */
    public static final String WRITER_SCHEMA = MqOpen.getClassSchema().toString();

    // the generated model carries the timestamp-micros conversion
    private final SpecificDatumWriter<MqOpen> writer = new SpecificDatumWriter<>(MqOpen.getClassSchema(), new MqOpen().getSpecificData());
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    private BinaryEncoder encoder;

    public byte[] encode(MqOpen record) {
        out.reset();
        encoder = EncoderFactory.get().binaryEncoder(out, encoder);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to encode an MqOpen record", e);
        }
        return out.toByteArray();
    }
}
