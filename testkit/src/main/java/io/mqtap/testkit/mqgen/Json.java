package io.mqtap.testkit.mqgen;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses the flat JSON objects the mqgen programs print (strings, integers, booleans, null). */
final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    static Map<String, Object> object(String line) {
        Json j = new Json(line.trim());
        Map<String, Object> m = new LinkedHashMap<>();
        j.expect('{');
        j.ws();
        if (j.peek() == '}') return m;
        while (true) {
            j.ws();
            String key = j.string();
            j.ws();
            j.expect(':');
            j.ws();
            m.put(key, j.value());
            j.ws();
            char c = j.s.charAt(j.i++);
            if (c == '}') return m;
            if (c != ',') throw j.error("',' or '}'");
        }
    }

    private Object value() {
        char c = peek();
        if (c == '"') return string();
        if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
        if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
        if (s.startsWith("null", i)) { i += 4; return null; }
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
        if (start == i) throw error("a value");
        String num = s.substring(start, i);
        return num.matches("-?\\d+") ? (Object) Long.parseLong(num) : (Object) Double.parseDouble(num);
    }

    private String string() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = s.charAt(i++);
            if (c == '"') return sb.toString();
            if (c == '\\') {
                char e = s.charAt(i++);
                switch (e) {
                    case 'u' -> { sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    default -> sb.append(e);
                }
            } else {
                sb.append(c);
            }
        }
    }

    private char peek() {
        if (i >= s.length()) throw error("more input");
        return s.charAt(i);
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private void expect(char c) {
        if (i >= s.length() || s.charAt(i) != c) throw error("'" + c + "'");
        i++;
    }

    private IllegalArgumentException error(String want) {
        return new IllegalArgumentException("bad JSON at " + i + ", expected " + want + ": " + s);
    }
}
