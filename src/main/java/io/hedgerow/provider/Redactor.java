package io.hedgerow.provider;

import io.hedgerow.config.ApiKey;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Removes credentials from text that came from an upstream (error messages often echo part of the key)
 * before it reaches logs, headers or clients.
 */
public final class Redactor {
    // Common key shapes: OpenAI/Anthropic/OpenRouter "sk-...", bearer tokens, Groq "gsk_...".
    private static final Pattern KEY_LIKE = Pattern.compile(
            "(?i)(sk-[a-z0-9_\\-*.]{6,}|gsk_[a-z0-9]{8,}|bearer\\s+[a-z0-9_\\-.=]{8,})");

    private Redactor() {
    }

    /** The text with the given key (and anything shaped like a key) replaced by {@code [redacted]}. */
    public static String redact(String text, Optional<ApiKey> key) {
        String result = text;
        if (key.isPresent() && !key.get().value().isEmpty()) {
            result = result.replace(key.get().value(), "[redacted]");
        }
        return KEY_LIKE.matcher(result).replaceAll("[redacted]");
    }
}
