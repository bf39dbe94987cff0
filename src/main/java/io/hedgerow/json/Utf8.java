package io.hedgerow.json;

/**
 * Strict UTF-8: well-formed byte sequences only (Unicode 15, table 3-7), so an overlong encoding ({@code C0 AF} for
 * {@code /}), an encoded surrogate ({@code ED A0 80}) or a code point above U+10FFFF is refused instead of being
 * decoded into some other character, as Jackson's lenient decoder does.
 */
public final class Utf8 {
    private Utf8() {
    }

    /** The offset of the first byte that does not begin or continue a well-formed sequence; -1 when all are. */
    public static int firstInvalid(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                need = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                if (c == 0xE0) {
                    lo = 0xA0;
                } else if (c == 0xED) {
                    hi = 0x9F;
                }
            } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                if (c == 0xF0) {
                    lo = 0x90;
                } else if (c == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                return i;
            }
            if (i + need >= to) {
                return i; // cut short
            }
            int second = b[i + 1] & 0xFF;
            if (second < lo || second > hi) {
                return i;
            }
            for (int k = 2; k <= need; k++) {
                int cont = b[i + k] & 0xFF;
                if (cont < 0x80 || cont > 0xBF) {
                    return i;
                }
            }
            i += need + 1;
        }
        return -1;
    }
}
