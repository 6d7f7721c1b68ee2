package io.mqtap.records;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Control and bidi characters shown as \xNN; ordinary text, other scripts and the lossless \xNN of names untouched. */
class PrintableTest {
    @Test
    void controlCharactersBecomeHexEscapes() {
        assertThat(Printable.escape("q\u001b[31mred\u001b[0m")).isEqualTo("q\\x1b[31mred\\x1b[0m");
        assertThat(Printable.escape("a\r\nFAKE LOG LINE")).isEqualTo("a\\x0d\\x0aFAKE LOG LINE");
        assertThat(Printable.escape("del\u007fc1\u009b")).isEqualTo("del\\x7fc1\\xc2\\x9b");
        assertThat(Printable.escape("tab\there\u0000")).isEqualTo("tab\\x09here\\x00");
    }

    @Test
    void bidiAndInvisibleCharactersBecomeTheirUtf8Bytes() {
        // "invoice\u202efdp.exe" shows as invoiceexe.pdf in a terminal that honours the override
        assertThat(Printable.escape("invoice\u202efdp.exe")).isEqualTo("invoice\\xe2\\x80\\xaefdp.exe");
        assertThat(Printable.escape("a\u2066b\u2069c\u200bd\ufeff"))
                .isEqualTo("a\\xe2\\x81\\xa6b\\xe2\\x81\\xa9c\\xe2\\x80\\x8bd\\xef\\xbb\\xbf");
        assertThat(Printable.escape("x\ud800y")).isEqualTo("x\\x3fy"); // a lone surrogate has no UTF-8 form: its replacement
    }

    @Test
    void ordinaryTextIsUntouched() {
        String s = "orders.in-2026 \u00e9t\u00e9 \u65e5\u672c \ud83d\ude80 C:\\x41 \\xff";
        assertThat(Printable.escape(s)).isSameAs(s);
        assertThat(Printable.escape(null)).isNull();
    }
}
