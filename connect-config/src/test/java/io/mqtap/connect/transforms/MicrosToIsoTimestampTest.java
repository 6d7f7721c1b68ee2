package io.mqtap.connect.transforms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class MicrosToIsoTimestampTest {
    // the form the Iceberg sink parses into timestamptz: ISO local date-time, then +HHmm or Z
    private static final DateTimeFormatter ICEBERG = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME).appendOffset("+HHmm", "Z").toFormatter(Locale.ROOT);

    private static final Schema ATTR = SchemaBuilder.struct().name("MqAttr").optional()
            .field("maxmsg", Schema.INT64_SCHEMA).build();
    private static final Schema VALUE = SchemaBuilder.struct().name("io.mqtap.avro.MqOpen")
            .field("sequence", Schema.INT64_SCHEMA)
            .field("timestamp", Schema.INT64_SCHEMA)
            .field("seenAt", Schema.OPTIONAL_INT64_SCHEMA)
            .field("attr", ATTR)
            .build();

    @Test
    void formatsEveryMicrosecondAndParsesBackExactly() {
        for (long micros : new long[] {0L, 1L, 1_764_410_400_123_456L, -1L, -1_000_001L, 253_402_300_799_999_999L}) {
            String s = MicrosToIsoTimestamp.format(micros);
            Instant back = OffsetDateTime.parse(s, ICEBERG).toInstant();
            assertThat(back.getEpochSecond() * 1_000_000L + back.getNano() / 1_000).as(s).isEqualTo(micros);
        }
        assertThat(MicrosToIsoTimestamp.format(1_764_410_400_123_456L)).isEqualTo("2025-11-29T10:00:00.123456Z");
        assertThat(MicrosToIsoTimestamp.format(0L)).isEqualTo("1970-01-01T00:00:00.000000Z");
    }

    @Test
    void rewritesTheNamedFieldsAndKeepsEverythingElse() {
        try (MicrosToIsoTimestamp<SinkRecord> t = new MicrosToIsoTimestamp<>()) {
            t.configure(Map.of("fields", "timestamp,seenAt"));
            Struct attr = new Struct(ATTR).put("maxmsg", 10L);
            Struct v = new Struct(VALUE).put("sequence", 7L).put("timestamp", 1_000_001L).put("seenAt", null).put("attr", attr);
            SinkRecord out = t.apply(new SinkRecord("mq-open-events", 2, Schema.BYTES_SCHEMA, new byte[] {1}, VALUE, v, 42L));

            Struct o = (Struct) out.value();
            assertThat(out.valueSchema().field("timestamp").schema().type()).isEqualTo(Schema.Type.STRING);
            assertThat(out.valueSchema().field("timestamp").schema().isOptional()).isFalse();
            assertThat(out.valueSchema().field("seenAt").schema().isOptional()).isTrue();
            assertThat(out.valueSchema().field("attr").schema()).isEqualTo(ATTR);
            assertThat(out.valueSchema().name()).isEqualTo("io.mqtap.avro.MqOpen");
            assertThat(o.get("timestamp")).isEqualTo("1970-01-01T00:00:01.000001Z");
            assertThat(o.get("seenAt")).isNull();
            assertThat(o.get("sequence")).isEqualTo(7L);
            assertThat(o.get("attr")).isEqualTo(attr);
            assertThat(out.kafkaOffset()).isEqualTo(42L);
            assertThat(out.kafkaPartition()).isEqualTo(2);
            // the converted schema is reused for the next record of the same writer schema
            SinkRecord again = t.apply(new SinkRecord("mq-open-events", 2, null, null, VALUE, v, 43L));
            assertThat(again.valueSchema()).isSameAs(out.valueSchema());
        }
    }

    @Test
    void refusesWhatItCannotConvertAndPassesTombstones() {
        try (MicrosToIsoTimestamp<SinkRecord> t = new MicrosToIsoTimestamp<>()) {
            t.configure(Map.of());
            SinkRecord tombstone = new SinkRecord("t", 0, null, "k", null, null, 1L);
            assertThat(t.apply(tombstone)).isSameAs(tombstone);
            assertThatThrownBy(() -> t.apply(new SinkRecord("t", 0, null, null, null, Map.of("timestamp", 1L), 1L)))
                    .isInstanceOf(DataException.class).hasMessageContaining("Struct");
            Schema wrong = SchemaBuilder.struct().field("timestamp", Schema.STRING_SCHEMA).build();
            assertThatThrownBy(() -> t.apply(new SinkRecord("t", 0, null, null, wrong, new Struct(wrong).put("timestamp", "x"), 1L)))
                    .isInstanceOf(DataException.class).hasMessageContaining("expected INT64");
        }
    }
}
