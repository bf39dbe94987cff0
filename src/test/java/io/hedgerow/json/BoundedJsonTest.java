package io.hedgerow.json;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The bounded reader refuses what would be expensive before building anything, and its estimate of a tree's cost
 * is an upper bound of what building it really allocates.
 */
class BoundedJsonTest {
    private static final long EIGHT_MIB = 8L << 20;
    private final BoundedJson json = new BoundedJson(JsonLimits.DEFAULTS, EIGHT_MIB);

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code [x,x,x...]} filling about {@code size} bytes, with {@code x} as written for each index. */
    private static byte[] array(long size, IntFunction<String> element) {
        StringBuilder sb = new StringBuilder((int) size + 16).append('[');
        for (int i = 0; sb.length() < size - 16; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(element.apply(i));
        }
        return bytes(sb.append(']').toString());
    }

    private static long allocatedBy(Runnable work) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        work.run();
        return threads.getCurrentThreadAllocatedBytes() - before;
    }

    private JsonRejected rejected(String text) {
        return rejected(bytes(text));
    }

    private JsonRejected rejected(byte[] body) {
        return assertThrows(JsonRejected.class, () -> json.read(body));
    }

    @Test
    void eightMibOfEmptyObjectsIsRefusedByTheScanWithoutBuildingAnything() {
        byte[] body = array(EIGHT_MIB, i -> "{}");

        long allocated = allocatedBy(() -> {
            JsonRejected e = assertThrows(JsonRejected.class, () -> json.scan(body));
            assertThat(e.reason(), is(JsonRejected.Reason.TOO_COMPLEX));
            assertThat(e.getMessage(), containsString("more than 100000 JSON values"));
        });

        // Jackson's buffers and the exception: nothing like the ~500 MB a tree of 2.8 million objects costs.
        assertThat(allocated, lessThan(1L << 20));
    }

    @Test
    void theEstimateBoundsWhatTheTreeReallyCosts() throws Exception {
        for (IntFunction<String> element : java.util.List.<IntFunction<String>>of(
                i -> "{}", i -> "[]", i -> "1", i -> "1.5e3", i -> "\"\"", i -> "\"s" + i + "\"", i -> "null",
                i -> "{\"k" + i + "\":" + i + "}", i -> "{\"a\":[1,2],\"b\":{\"c\":\"d\"}}",
                i -> "\"\\u00e9t\\u00e9 " + i + "\"", i -> "\"" + "x".repeat(200) + "\"")) {
            byte[] body = array(600_000, element);
            BoundedJson.Shape shape;
            try {
                shape = json.scan(body);
            } catch (JsonRejected e) {
                // Over the value limit at this size: take the largest that passes.
                body = array(body.length / 3, element);
                shape = json.scan(body);
            }
            byte[] scanned = body;
            JsonNode[] tree = new JsonNode[1];
            long allocated = allocatedBy(() -> {
                try {
                    tree[0] = json.tree(scanned);
                } catch (JsonRejected e) {
                    throw new AssertionError(e);
                }
            });
            System.out.printf("%-40s values %7d estimate %,12d allocated %,12d%n", element.apply(7), shape.values(),
                              shape.treeBytes(), allocated);
            assertThat(element.apply(7) + ": estimate " + shape.treeBytes() + " >= allocated " + allocated,
                       shape.treeBytes() >= allocated, is(true));
            assertThat(tree[0].size(), greaterThan(0));
        }
    }

    @Test
    void theLimitsAreEnforced() {
        JsonRejected deep = rejected("[".repeat(129) + "]".repeat(129));
        assertThat(deep.reason(), is(JsonRejected.Reason.TOO_COMPLEX));
        assertThat(deep.getMessage(), containsString("nesting depth"));
        assertThat(deep.getMessage(), not(containsString("StreamReadConstraints")));

        assertThat(rejected("{\"" + "k".repeat(1025) + "\":1}").reason(), is(JsonRejected.Reason.TOO_COMPLEX));
        assertThat(rejected("[" + "9".repeat(101) + "]").reason(), is(JsonRejected.Reason.TOO_COMPLEX));
        assertThat(rejected(new String(array(1_000_000, i -> "0"), StandardCharsets.UTF_8)).reason(),
                   is(JsonRejected.Reason.TOO_COMPLEX));
    }

    @Test
    void emptyWhitespaceAndSeveralValuesAreMalformed() {
        for (String body : new String[] {"", "   \r\n\t ", "{} {}", "{\"a\":1}[", "{\"a\":1", "nul", "{a:1}"}) {
            JsonRejected e = rejected(body);
            assertThat("'" + body + "'", e.reason(), is(JsonRejected.Reason.MALFORMED));
        }
        assertThat(rejected("  ").getMessage(), containsString("empty"));
    }

    @Test
    void messagesNeverQuoteTheBody() {
        for (String body : new String[] {"{\"model\": SECRETTOKEN}", "SECRETTOKEN", "[\"a\", SECRETTOKEN]",
                                         "{\"a\":1}SECRETTOKEN", "{\"SECRETTOKEN\":\"\\uD800\"}"}) {
            JsonRejected e = rejected(body);
            assertThat(e.getMessage(), not(containsString("SECRETTOKEN")));
        }
    }

    @Test
    void invalidUtf8IsRefusedNotDecodedToSomethingElse() {
        byte[][] bad = {
                {'"', (byte) 0xC0, (byte) 0xAF, '"'},               // overlong '/'
                {'"', (byte) 0xE0, (byte) 0x80, (byte) 0xAF, '"'},   // overlong, three bytes
                {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'},   // an encoded surrogate
                {'"', (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"'}, // above U+10FFFF
                {'"', (byte) 0xFF, '"'},
                {'"', (byte) 0xC3},                                  // cut short
        };
        for (byte[] body : bad) {
            JsonRejected e = rejected(body);
            assertThat(e.reason(), is(JsonRejected.Reason.MALFORMED));
            assertThat(e.getMessage(), containsString("not valid UTF-8 (at byte 1)"));
        }
    }

    @Test
    void loneSurrogatesAreRefusedPairsAreKept() throws Exception {
        assertThat(rejected("{\"messages\":[{\"content\":\"a\\uD800b\"}]}").getMessage(),
                   containsString("messages[0].content"));
        assertThat(rejected("[\"\\udc00\"]").reason(), is(JsonRejected.Reason.MALFORMED));

        assertThat(json.read(bytes("[\"\\uD83D\\uDE00\"]")).get(0).asText(), is("\uD83D\uDE00"));
        assertThat(json.read(bytes("[\"\u00e9\u4e2d\uD83D\uDE00\"]")).get(0).asText(), is("\u00e9\u4e2d\uD83D\uDE00"));
    }

    @Test
    void numbersAreKeptExactlyAsWritten() throws Exception {
        JsonNode tree = json.read(bytes("{\"t\":1e400,\"p\":0.1,\"n\":12345678901234567890123,\"i\":7}"));

        assertThat(tree.get("t").isBigDecimal(), is(true));
        assertThat(tree.get("t").decimalValue().toString(), is("1E+400"));
        assertThat(Double.isInfinite(tree.get("t").doubleValue()), is(true));
        assertThat(tree.get("p").decimalValue().toPlainString(), is("0.1"));
        assertThat(tree.get("n").isBigInteger(), is(true));
        assertThat(tree.get("i").isInt(), is(true));
    }
}
