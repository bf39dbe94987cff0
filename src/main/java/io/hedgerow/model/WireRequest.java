package io.hedgerow.model;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A client's request as it was written on the wire, kept beside its canonical form so that a provider speaking the
 * same dialect can be sent the client's own bytes (with only what routing must change rewritten) instead of a
 * re-encoding that would lose what the canonical model does not carry.
 *
 * @param dialect     the dialect the client spoke
 * @param body        the request body exactly as received; never modified (treat as read-only: not copied)
 * @param headers     request headers a provider of the same dialect may be sent, already checked (e.g. Anthropic's
 *                    {@code anthropic-version} and allow-listed {@code anthropic-beta}); lower-case names
 * @param ownDialectOnly why only a provider of this dialect can serve the request (it uses something no other
 *                    dialect can express, such as Anthropic's server tools), when that is so
 */
public record WireRequest(Dialect dialect, byte[] body, Map<String, String> headers,
                          Optional<String> ownDialectOnly) {
    public WireRequest {
        Objects.requireNonNull(dialect, "dialect");
        Objects.requireNonNull(body, "body");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(ownDialectOnly, "ownDialectOnly");
    }
}
