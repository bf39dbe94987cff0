package io.hedgerow.json;

/**
 * What one inbound JSON document may hold, checked by {@link BoundedJson} before any tree is built.
 *
 * @param maxDepth      nesting levels of objects and arrays
 * @param maxValues     values of every kind (objects, arrays, strings, numbers, booleans, nulls), the root included
 * @param maxNameChars  the longest field name
 * @param maxNumberChars the longest number literal
 */
public record JsonLimits(int maxDepth, int maxValues, int maxNameChars, int maxNumberChars) {
    /**
     * Limits far above any real chat request (a long agent session with tool calls is a few tens of thousands of
     * values; tool schemas nest a dozen levels) and low enough that the worst tree they allow costs tens of MiB, not
     * the heap.
     */
    public static final JsonLimits DEFAULTS = new JsonLimits(128, 100_000, 1_024, 100);

    public JsonLimits {
        if (maxDepth < 1 || maxValues < 1 || maxNameChars < 1 || maxNumberChars < 1) {
            throw new IllegalArgumentException("JSON limits must be positive: " + maxDepth + ", " + maxValues + ", "
                                                       + maxNameChars + ", " + maxNumberChars);
        }
    }
}
