package io.hedgerow.json;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;

/**
 * Reads an inbound JSON document (a client's request body) into a tree, but only after a streaming pass over its
 * bytes has shown that the tree will be small enough: a hostile body made of millions of empty objects, or nested a
 * thousand deep, is refused at the cost of reading its bytes once, without building anything.
 *
 * <p>{@link #scan} validates the bytes as strict UTF-8 ({@link Utf8}), then tokenizes the document without decoding
 * its strings or numbers, counting values and depth against the {@link JsonLimits}, refusing a second root value,
 * and estimating what the tree will cost: for each kind of node its size on a 64-bit JVM with compressed pointers
 * (an object with its hash map ~{@value #OBJECT} bytes, each field ~{@value #FIELD} plus twice its name, an array
 * ~{@value #ARRAY}, each element slot {@value #SLOT}, a string ~{@value #STRING} plus twice its raw bytes, a number
 * ~{@value #NUMBER}). {@link #tree} then builds the tree under the same limits (Jackson's
 * {@link StreamReadConstraints} enforce them again while it does), with floating-point numbers kept exactly as
 * {@link java.math.BigDecimal}s, so a value passed through is forwarded as it was written and one that overflows a
 * double is seen as such. A string holding a lone surrogate (an escaped {@code \uD800} with no pair) is refused too.
 *
 * <p>Error messages name what is wrong and where (byte offset, line, column), never the document's text.
 * Thread-safe.
 */
public final class BoundedJson {
    static final int OBJECT = 200;
    static final int FIELD = 160;
    static final int ARRAY = 64;
    static final int SLOT = 16;
    static final int STRING = 56;
    static final int NUMBER = 80;

    private final JsonLimits limits;
    private final JsonFactory factory;
    private final ObjectReader reader;

    /**
     * @param limits           what a document may hold
     * @param maxDocumentBytes the largest document (its bytes bound every string in it)
     */
    public BoundedJson(JsonLimits limits, long maxDocumentBytes) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                                               .maxNestingDepth(limits.maxDepth())
                                               .maxNumberLength(limits.maxNumberChars())
                                               .maxNameLength(limits.maxNameChars())
                                               .maxStringLength((int) Math.min(Integer.MAX_VALUE, maxDocumentBytes))
                                               .maxDocumentLength(maxDocumentBytes)
                                               .maxTokenCount(3L * limits.maxValues() + 16)
                                               .build())
                .recyclerPool(JsonRecyclerPools.newBoundedPool(64))
                // Names a client makes up are not worth a place in the JVM's string table.
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                .build();
        this.reader = JsonMapper.builder(factory)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .build()
                .reader();
    }

    /**
     * What a scan found.
     *
     * @param values      values of every kind, the root included
     * @param depth       the deepest nesting
     * @param stringBytes raw bytes of all string values (quotes and escapes included)
     * @param treeBytes   the estimated heap cost of the tree
     */
    public record Shape(int values, int depth, long stringBytes, long treeBytes) {
    }

    /** Scans, then builds the tree. */
    public JsonNode read(byte[] body) throws JsonRejected {
        scan(body);
        return tree(body);
    }

    /** Checks a document without building it: well-formed UTF-8 and JSON, one root value, within the limits. */
    public Shape scan(byte[] body) throws JsonRejected {
        int bad = Utf8.firstInvalid(body, 0, body.length);
        if (bad >= 0) {
            throw new JsonRejected(JsonRejected.Reason.MALFORMED,
                                   "The request body is not valid UTF-8 (at byte " + bad + ")");
        }
        int values = 0;
        int depth = 0;
        int deepest = 0;
        int roots = 0;
        long stringBytes = 0;
        long tree = 0;
        long stringStart = -1;
        try (JsonParser p = factory.createParser(body)) {
            JsonToken token;
            while ((token = p.nextToken()) != null) {
                // Asked only around strings: each location is an object, and a scan should allocate next to nothing.
                long offset = stringStart >= 0 || token == JsonToken.VALUE_STRING
                        ? p.currentTokenLocation().getByteOffset() : -1;
                if (stringStart >= 0) {
                    // The previous token was a string, skipped undecoded: its raw length ends where this one starts.
                    stringBytes += offset - stringStart;
                    tree += 2 * (offset - stringStart);
                    stringStart = -1;
                }
                if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
                    depth--;
                    continue;
                }
                if (token == JsonToken.FIELD_NAME) {
                    tree += FIELD + 2L * p.getTextLength();
                    continue;
                }
                if (depth == 0 && ++roots > 1) {
                    throw new JsonRejected(JsonRejected.Reason.MALFORMED, "The request body holds more than one "
                            + "JSON value (the second starts at " + where(p.currentTokenLocation()) + ")");
                }
                if (++values > limits.maxValues()) {
                    throw new JsonRejected(JsonRejected.Reason.TOO_COMPLEX, "The request body holds more than "
                            + limits.maxValues() + " JSON values (at most " + limits.maxValues() + ")");
                }
                tree += SLOT + switch (token) {
                    case START_OBJECT -> OBJECT;
                    case START_ARRAY -> ARRAY;
                    case VALUE_STRING -> {
                        stringStart = offset;
                        yield STRING;
                    }
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> NUMBER;
                    default -> 0;
                };
                if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                    deepest = Math.max(deepest, ++depth);
                }
            }
            if (stringStart >= 0) {
                stringBytes += body.length - stringStart;
                tree += 2 * (body.length - stringStart);
            }
        } catch (StreamConstraintsException e) {
            throw overLimit(e);
        } catch (JacksonException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new JsonRejected(JsonRejected.Reason.MALFORMED, "The request body could not be read as JSON");
        }
        if (roots == 0) {
            throw new JsonRejected(JsonRejected.Reason.MALFORMED, "The request body is empty (expected: a JSON "
                    + "object)");
        }
        return new Shape(values, deepest, stringBytes, tree);
    }

    /** Builds the tree of a document {@link #scan} accepted. */
    public JsonNode tree(byte[] body) throws JsonRejected {
        JsonNode root;
        try {
            root = reader.readTree(body);
        } catch (StreamConstraintsException e) {
            throw overLimit(e);
        } catch (JacksonException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new JsonRejected(JsonRejected.Reason.MALFORMED, "The request body could not be read as JSON");
        }
        if (root == null || root.isMissingNode()) {
            throw new JsonRejected(JsonRejected.Reason.MALFORMED, "The request body is empty (expected: a JSON "
                    + "object)");
        }
        if (mayHoldSurrogateEscape(body)) {
            String at = loneSurrogate(root, "");
            if (at != null) {
                throw new JsonRejected(JsonRejected.Reason.MALFORMED, "The request body holds a string with an "
                        + "unpaired surrogate (" + (at.isEmpty() ? "the root" : at) + ")");
            }
        }
        return root;
    }

    private static JsonRejected overLimit(StreamConstraintsException e) {
        // Jackson's message names the limit and the value, e.g. "Document nesting depth (129) exceeds the maximum
        // allowed (128, from `StreamReadConstraints.getMaxNestingDepth()`)": keep it, without the API reference.
        String message = e.getOriginalMessage().replaceAll(", from `[^`]*`", "");
        return new JsonRejected(JsonRejected.Reason.TOO_COMPLEX, "The request body is over a limit: " + message);
    }

    private static JsonRejected malformed(JacksonException e) {
        String what = e instanceof JsonEOFException ? "it ends in the middle of a value" : "unexpected content";
        return new JsonRejected(JsonRejected.Reason.MALFORMED, "The request body is not valid JSON: " + what
                + (e.getLocation() == null ? "" : " at " + where(e.getLocation())));
    }

    private static String where(JsonLocation location) {
        return "line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** Whether the bytes hold an escaped surrogate ({@code \u005CuD800} to {@code \u005CuDFFF}), in any case. */
    private static boolean mayHoldSurrogateEscape(byte[] b) {
        for (int i = 0; i + 3 < b.length; i++) {
            if (b[i] == '\\' && b[i + 1] == 'u' && (b[i + 2] == 'd' || b[i + 2] == 'D')) {
                byte c = b[i + 3];
                if (c >= '8' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
                    return true;
                }
            }
        }
        return false;
    }

    /** The path of the first string (or field name) with an unpaired surrogate; null when there is none. */
    private static String loneSurrogate(JsonNode node, String path) {
        if (node.isTextual()) {
            return unpaired(node.textValue()) ? path : null;
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = loneSurrogate(node.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String key = safeKey(field.getKey());
                String at = path.isEmpty() ? key : path + "." + key;
                if (unpaired(field.getKey())) {
                    return path.isEmpty() ? "a field name" : path + " (a field name)";
                }
                String found = loneSurrogate(field.getValue(), at);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /**
     * A field name as it may appear in a message: a name in the APIs' style (lower case, digits, underscores), else
     * {@code ?}, so that what a client made up is never quoted.
     */
    private static String safeKey(String key) {
        return key.length() <= 40 && key.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
                || c == '_') ? key : "?";
    }

    private static boolean unpaired(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
