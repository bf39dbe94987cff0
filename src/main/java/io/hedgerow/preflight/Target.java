package io.hedgerow.preflight;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.CandidateRef;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.RouteConfig;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One thing a live check asks about: a provider, as configured, with one of its keys (or with none, for a provider
 * configured without keys). Two targets are equal when checking one asks exactly what checking the other asks: the
 * same provider name, type, base URL, extra headers and key value. So however many routes and models use a
 * provider+key, it is one target, checked once; and a reload that changes any of these makes a new target, due at
 * once. {@link #toString()} names the key by its label, never by its value.
 */
public record Target(String provider, ProviderType type, Optional<URI> baseUrl, Map<String, String> headers,
                     Optional<ApiKey> key) {
    /** The key label shown for a provider without keys. */
    public static final String NO_KEY = "none";

    public Target {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(baseUrl, "baseUrl");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(key, "key");
    }

    /** The target of {@code provider} with {@code key}. */
    public static Target of(ProviderConfig provider, Optional<ApiKey> key) {
        return new Target(provider.name(), provider.type(), provider.baseUrl(), provider.headers(), key);
    }

    /** The targets of one provider: one per key, or one without a key when it has none. */
    public static List<Target> of(ProviderConfig provider) {
        if (provider.keys().isEmpty()) {
            return List.of(of(provider, Optional.empty()));
        }
        return provider.keys().stream().map(k -> of(provider, Optional.of(k))).toList();
    }

    /**
     * Every target a route uses, in the order routes and their chains name them, each with the candidates
     * ({@code provider/model}) that use it. Providers no route uses are left out: nothing would fail on them.
     */
    public static Map<Target, List<String>> usedBy(HedgerowConfig config) {
        Map<Target, List<String>> targets = new LinkedHashMap<>();
        for (RouteConfig route : config.routes().values()) {
            for (CandidateRef ref : route.chain()) {
                ProviderConfig provider = config.providers().get(ref.provider());
                if (provider == null) {
                    continue;
                }
                for (Target target : of(provider)) {
                    List<String> candidates = targets.computeIfAbsent(target, t -> new ArrayList<>());
                    if (!candidates.contains(ref.toString())) {
                        candidates.add(ref.toString());
                    }
                }
            }
        }
        targets.replaceAll((t, candidates) -> List.copyOf(candidates));
        return targets;
    }

    /** The key's label, or {@value #NO_KEY}. */
    public String keyLabel() {
        return key.map(ApiKey::label).orElse(NO_KEY);
    }

    @Override
    public String toString() {
        return provider + "#" + keyLabel();
    }
}
