package io.hedgerow.json;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

class Utf8Test {

    private static int check(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return Utf8.firstInvalid(b, 0, b.length);
    }

    @Test
    void wellFormedSequencesPass() {
        assertThat(check('a', 'b'), is(-1));
        assertThat(check(0xC3, 0xA9), is(-1));                 // é
        assertThat(check(0xE4, 0xB8, 0xAD), is(-1));           // 中
        assertThat(check(0xED, 0x9F, 0xBF), is(-1));           // U+D7FF
        assertThat(check(0xEE, 0x80, 0x80), is(-1));           // U+E000
        assertThat(check(0xF0, 0x9F, 0x98, 0x80), is(-1));     // 😀
        assertThat(check(0xF4, 0x8F, 0xBF, 0xBF), is(-1));     // U+10FFFF
    }

    @Test
    void illFormedSequencesAreFound() {
        assertThat(check('a', 0xC0, 0x80), is(1));             // overlong NUL
        assertThat(check(0xC1, 0xBF), is(0));                  // overlong
        assertThat(check(0xE0, 0x9F, 0xBF), is(0));            // overlong, three bytes
        assertThat(check(0xED, 0xA0, 0x80), is(0));            // surrogate D800
        assertThat(check(0xF0, 0x8F, 0xBF, 0xBF), is(0));      // overlong, four bytes
        assertThat(check(0xF4, 0x90, 0x80, 0x80), is(0));      // above U+10FFFF
        assertThat(check(0xF5, 0x80, 0x80, 0x80), is(0));
        assertThat(check(0x80), is(0));                        // a lone continuation byte
        assertThat(check('a', 'b', 0xE4, 0xB8), is(2));        // cut short
        assertThat(check(0xC3, 'a'), is(0));                   // not a continuation
    }

    @Test
    void agreesWithTheJdksStrictDecoderOnRandomBytes() {
        Random random = new Random(17);
        for (int round = 0; round < 20_000; round++) {
            byte[] b = new byte[1 + random.nextInt(6)];
            for (int i = 0; i < b.length; i++) {
                // Mostly high bytes, where the interesting cases are.
                b[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt(128) : 0x80 + random.nextInt(128));
            }
            boolean jdk;
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
                jdk = true;
            } catch (CharacterCodingException e) {
                jdk = false;
            }
            assertThat(java.util.HexFormat.of().formatHex(b), Utf8.firstInvalid(b, 0, b.length) < 0, is(jdk));
        }
    }
}
