package io.mqtap.producer.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import io.mqtap.records.Printable;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;

/**
 * One Avro record as one line of JSON: field names as in the schema, unions as the plain value or null,
 * bytes as lowercase hex, nested records as objects, timestamps as their Avro number (micros or millis). Control
 * and bidi characters in strings (DEL, C1, the overrides and isolates, zero-width ones: {@link Printable#unsafe}) are
 * written as JSON unicode escapes (backslash, u, four hex digits) like JSON's own control escapes, so a terminal showing the line never acts on them;
 * a JSON reader gets the same string back.
 */
public final class RecordJson {
    private static final JsonFactory JSON = new JsonFactory();
    private static final CharacterEscapes ESCAPES = new TerminalSafeEscapes();
    private static final HexFormat HEX = HexFormat.of();

    private RecordJson() {}

    public static String toJson(IndexedRecord record) {
        return toJson(record, false);
    }

    /**
     * As {@link #toJson(IndexedRecord)}; with {@code typed}, the object's first field is {@code "type"}: the record's
     * name ({@code MqOpen}, {@code MqAccess}, ...), for lines from several topics in one stream.
     */
    public static String toJson(IndexedRecord record, boolean typed) {
        StringWriter w = new StringWriter(512);
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.setCharacterEscapes(ESCAPES);
            if (typed) {
                g.writeStartObject();
                g.writeStringField("type", record.getSchema().getName());
                fields(g, record);
                g.writeEndObject();
            } else {
                write(g, record);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof IndexedRecord r) {
            g.writeStartObject();
            fields(g, r);
            g.writeEndObject();
        } else if (v instanceof ByteBuffer b) {
            g.writeString(hex(b));
        } else if (v instanceof GenericFixed f) {
            g.writeString(hex(ByteBuffer.wrap(f.bytes())));
        } else if (v instanceof CharSequence || v instanceof GenericEnumSymbol<?>) {
            g.writeString(v.toString());
        } else if (v instanceof Integer i) {
            g.writeNumber(i);
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Float f) {
            g.writeNumber(f);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Instant t) {
            g.writeNumber(t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000);
        } else if (v instanceof Collection<?> c) {
            g.writeStartArray();
            for (Object o : c) write(g, o);
            g.writeEndArray();
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(e.getKey().toString());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof GenericContainer) {
            g.writeString(v.toString());
        } else {
            g.writeString(v.toString());
        }
    }

    private static void fields(JsonGenerator g, IndexedRecord r) throws IOException {
        for (Schema.Field f : r.getSchema().getFields()) {
            g.writeFieldName(f.name());
            write(g, r.get(f.pos()));
        }
    }

    /** JSON's standard escapes, plus DEL and every other character {@link Printable} calls unsafe, as JSON unicode escapes. */
    private static final class TerminalSafeEscapes extends CharacterEscapes {
        private final int[] ascii = standardAsciiEscapesForJSON();

        TerminalSafeEscapes() {
            ascii[0x7f] = ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return Printable.unsafe(ch) ? new SerializedString(String.format("\\u%04x", ch)) : null;
        }
    }

    static String hex(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return HEX.formatHex(bytes);
    }
}
