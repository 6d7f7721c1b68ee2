package io.mqtap.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/** An Avro record as plain JSON for people and scripts: fields by name, timestamps as ISO-8601, bytes as hex, no union wrappers. */
final class AvroJson {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private AvroJson() {}

    static ObjectNode of(IndexedRecord r) {
        ObjectNode o = F.objectNode();
        for (Schema.Field field : r.getSchema().getFields()) o.set(field.name(), value(r.get(field.pos())));
        return o;
    }

    private static JsonNode value(Object v) {
        if (v == null) return F.nullNode();
        if (v instanceof IndexedRecord r) return of(r);
        if (v instanceof Instant t) return F.textNode(t.toString());
        if (v instanceof CharSequence s) return F.textNode(s.toString());
        if (v instanceof Long l) return F.numberNode(l);
        if (v instanceof Integer i) return F.numberNode(i);
        if (v instanceof Double d) return F.numberNode(d);
        if (v instanceof Boolean b) return F.booleanNode(b);
        if (v instanceof ByteBuffer b) {
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            return F.textNode(HexFormat.of().formatHex(bytes));
        }
        if (v instanceof List<?> list) {
            ArrayNode a = F.arrayNode();
            list.forEach(x -> a.add(value(x)));
            return a;
        }
        if (v instanceof Map<?, ?> map) {
            ObjectNode o = F.objectNode();
            map.forEach((k, x) -> o.set(k.toString(), value(x)));
            return o;
        }
        return F.textNode(v.toString()); // enums
    }
}
