package io.mqtap.records;

import java.nio.charset.StandardCharsets;

/**
 * Record text made safe to show a person: in an alert message, a log line, a terminal. Control characters (C0, DEL,
 * C1: ANSI escapes, CR/LF that forge lines) and the invisible ones that reorder or hide text (bidi embeddings,
 * overrides and isolates, zero-width characters, line separators, the BOM) become {@code \xNN} per UTF-8 byte;
 * everything else, the backslash included, stays as it is. Only for display: records keep the raw bytes.
 */
public final class Printable {
    private Printable() {}

    /** {@code s} with every unsafe character as {@code \xNN}; null stays null. */
    public static String escape(CharSequence s) {
        if (s == null) return null;
        int i = 0, n = s.length();
        while (i < n) {
            int cp = Character.codePointAt(s, i);
            if (unsafe(cp)) break;
            i += Character.charCount(cp);
        }
        if (i == n) return s.toString(); // the common case: nothing to do, no copy
        StringBuilder out = new StringBuilder(n + 16).append(s, 0, i);
        while (i < n) {
            int cp = Character.codePointAt(s, i);
            int len = Character.charCount(cp);
            if (unsafe(cp)) {
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    out.append(String.format("\\x%02x", b & 0xff));
                }
            } else {
                out.append(s, i, i + len);
            }
            i += len;
        }
        return out.toString();
    }

    /** A control character, or one that changes how the text around it is shown without being seen itself. */
    public static boolean unsafe(int cp) {
        return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)
                || cp == 0x061c                          // Arabic letter mark
                || (cp >= 0x200b && cp <= 0x200f)        // zero-width space and joiners, LRM, RLM
                || (cp >= 0x2028 && cp <= 0x202e)        // line and paragraph separators, LRE RLE PDF LRO RLO
                || (cp >= 0x2060 && cp <= 0x2069)        // word joiner, invisible operators, LRI RLI FSI PDI
                || cp == 0xfeff                          // BOM, zero-width no-break space
                || (cp >= 0xd800 && cp <= 0xdfff);       // a lone surrogate
    }
}
