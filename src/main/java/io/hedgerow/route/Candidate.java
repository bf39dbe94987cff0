package io.hedgerow.route;

import io.hedgerow.config.ProviderConfig;
import io.hedgerow.provider.ProviderClient;

import java.util.Objects;

/**
 * One way to serve a route: a model on a provider, with the client that reaches it.
 *
 * @param provider the provider's configuration (name, keys, timeouts)
 * @param model    the model name sent upstream
 * @param client   the adapter for the provider's wire format
 */
public record Candidate(ProviderConfig provider, String model, ProviderClient client) {
    public Candidate {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(client, "client");
    }

    /** {@code provider/model}, as config and headers write it. */
    public String label() {
        return provider.name() + "/" + model;
    }

    @Override
    public String toString() {
        return label();
    }
}
