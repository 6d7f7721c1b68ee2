package io.mqtap.capture;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Kernel bytes to a lossless string: valid UTF-8 stays as it is; every other byte, and the backslash
 * itself, becomes {@code \xNN}, so the original bytes can always be recovered from the string.
 */
public final class NameCodec {
    private static final HexFormat HEX = HexFormat.of();

    private NameCodec() {}

    public static String decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    public static String decode(byte[] bytes, int off, int len) {
        if (isPlainAscii(bytes, off, len)) return new String(bytes, off, len, StandardCharsets.ISO_8859_1);
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, off, len);
        CharBuffer out = CharBuffer.allocate(len * 4);
        StringBuilder sb = new StringBuilder(len + 16);
        while (in.hasRemaining()) {
            out.clear();
            CoderResult r = dec.decode(in, out, true);
            out.flip();
            appendEscapingBackslash(sb, out);
            if (r.isError()) {
                for (int i = 0; i < r.length(); i++) escape(sb, in.get());
            } else if (r.isUnderflow()) {
                break;
            }
        }
        return sb.toString();
    }

    /** The inverse of {@link #decode}: the exact bytes a decoded string came from. */
    public static byte[] encode(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); ) {
            if (s.startsWith("\\x", i) && i + 4 <= s.length()) {
                out.write(Integer.parseInt(s.substring(i + 2, i + 4), 16));
                i += 4;
            } else {
                int cp = s.codePointAt(i);
                byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
                i += Character.charCount(cp);
            }
        }
        return out.toByteArray();
    }

    private static boolean isPlainAscii(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (b[i] < 0 || b[i] == '\\') return false;
        }
        return true;
    }

    private static void appendEscapingBackslash(StringBuilder sb, CharBuffer chars) {
        while (chars.hasRemaining()) {
            char c = chars.get();
            if (c == '\\') escape(sb, (byte) '\\');
            else sb.append(c);
        }
    }

    private static void escape(StringBuilder sb, byte b) {
        sb.append("\\x").append(HEX.toHexDigits(b));
    }
}
