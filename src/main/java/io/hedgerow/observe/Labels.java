package io.hedgerow.observe;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Label values for metrics, kept bounded: a candidate {@code provider/model} split in two, and client tags
 * ({@code x-hedgerow-tag}) admitted up to a limit of distinct values, after which they count as {@code other}.
 */
final class Labels {
    /** The tag of requests that sent none. */
    static final String NO_TAG = "none";
    /** The tag of requests whose tag came after the limit of distinct tags. */
    static final String OTHER_TAG = "other";
    /** The tag of requests whose tag is not a short identifier. */
    static final String INVALID_TAG = "invalid";
    /** The route of requests that named no route (unparseable, unknown model). */
    static final String NO_ROUTE = "none";
    /** The route of requests that name {@code provider/model} directly. */
    static final String DIRECT_ROUTE = "direct";

    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9._:/-]{1,64}");

    private final Set<String> tags = ConcurrentHashMap.newKeySet();
    private volatile int maxTags;

    Labels(int maxTags) {
        this.maxTags = maxTags;
    }

    void maxTags(int limit) {
        this.maxTags = limit;
    }

    /** The label for a client's tag header. */
    String tag(Optional<String> header) {
        if (header.isEmpty() || header.get().isBlank()) {
            return NO_TAG;
        }
        String tag = header.get().trim();
        if (!TAG.matcher(tag).matches()) {
            return INVALID_TAG;
        }
        if (tags.contains(tag)) {
            return tag;
        }
        synchronized (tags) {
            if (!tags.contains(tag) && tags.size() >= maxTags) {
                return OTHER_TAG;
            }
            tags.add(tag);
            return tag;
        }
    }

    /** {@code openai} of {@code openai/gpt-4.1}. */
    static String provider(String candidate) {
        int slash = candidate.indexOf('/');
        return slash < 0 ? candidate : candidate.substring(0, slash);
    }

    /** {@code gpt-4.1} of {@code openai/gpt-4.1}; the model part may itself contain {@code /}. */
    static String model(String candidate) {
        int slash = candidate.indexOf('/');
        return slash < 0 ? "" : candidate.substring(slash + 1);
    }

    /** {@code RATE_LIMITED} as {@code rate_limited}. */
    static String snake(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
