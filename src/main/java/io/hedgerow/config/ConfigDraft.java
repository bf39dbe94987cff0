package io.hedgerow.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a config file says even when it has errors: the sections as far as they could be bound (a value in error
 * replaced by its default, a key that could not be resolved left out), so that {@code check --live} can check every
 * rung it can in the same run that reports the errors, instead of stopping at the first missing variable. Never
 * served from.
 *
 * @param config          the config as far as it could be bound
 * @param missingKeys     by provider: its keys that could not be resolved, and why
 * @param brokenProviders providers with errors other than missing keys (a bad URL, a bad timeout): their rungs are
 *                        not checked live
 */
public record ConfigDraft(HedgerowConfig config, Map<String, List<MissingKey>> missingKeys,
                          Set<String> brokenProviders) {
    public ConfigDraft {
        Objects.requireNonNull(config, "config");
        missingKeys = Map.copyOf(missingKeys);
        brokenProviders = Set.copyOf(brokenProviders);
    }

    /**
     * A key the file names but that could not be resolved.
     *
     * @param label   its label, or where it is ({@code keys[0]}) when it has none
     * @param problem why, e.g. {@code environment variable OPENAI_API_KEY is not set}
     */
    public record MissingKey(String label, String problem) {
    }

    /** The keys of {@code provider} that could not be resolved. */
    public List<MissingKey> missingKeys(String provider) {
        return missingKeys.getOrDefault(provider, List.of());
    }

    /** Why the rungs of {@code provider} cannot be checked live, if they cannot (errors other than missing keys). */
    public Optional<String> broken(String provider) {
        return brokenProviders.contains(provider)
                ? Optional.of("providers." + provider + " has errors (see above)") : Optional.empty();
    }
}
