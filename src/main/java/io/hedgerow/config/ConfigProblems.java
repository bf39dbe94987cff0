package io.hedgerow.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects everything wrong with a config file, so start-up and {@code check} can print all of it at once.
 * Each problem names the key, the value and what was expected:
 * {@code providers.openai.timeouts.idle: '30x' (expected: a duration such as 30s or 500ms)}.
 */
public final class ConfigProblems {
    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    void error(String key, String problem) {
        errors.add(key + ": " + problem);
    }

    void warn(String key, String problem) {
        warnings.add(key + ": " + problem);
    }

    public List<String> errors() {
        return List.copyOf(errors);
    }

    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    public boolean hasErrors() {
        return !errors.isEmpty();
    }
}
