package io.hedgerow.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects everything wrong with a config file, so start-up and {@code check} can print all of it at once.
 * Each problem names the key, the value and what was expected:
 * {@code providers.openai.timeouts.idle: '30x' (expected: a duration such as 30s or 500ms)}.
 */
public final class ConfigProblems {
    private record Problem(String key, String problem) {
        @Override
        public String toString() {
            return key + ": " + problem;
        }
    }

    private final List<Problem> errors = new ArrayList<>();
    private final List<Problem> warnings = new ArrayList<>();

    void error(String key, String problem) {
        errors.add(new Problem(key, problem));
    }

    void warn(String key, String problem) {
        warnings.add(new Problem(key, problem));
    }

    /** The errors reported about exactly {@code key} (without the key), in order. */
    List<String> errorsAt(String key) {
        return errors.stream().filter(p -> p.key.equals(key)).map(Problem::problem).toList();
    }

    int errorCount() {
        return errors.size();
    }

    public List<String> errors() {
        return errors.stream().map(Problem::toString).toList();
    }

    public List<String> warnings() {
        return warnings.stream().map(Problem::toString).toList();
    }

    public boolean hasErrors() {
        return !errors.isEmpty();
    }
}
