package io.hedgerow.provider;

import io.hedgerow.json.Json;
import io.hedgerow.json.JsonSplice;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Role;
import io.hedgerow.model.WireRequest;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * When an adapter may send the client's own request bytes, and what it then rewrites.
 *
 * <p>A request goes upstream as the client wrote it when the client spoke the adapter's dialect and nothing the
 * canonical model would change applies: the provider's role map leaves it as it is, and it is the client's request
 * (not a continuation made here, which has no wire form). The rewrites are top-level fields only (always
 * {@code model}; what else the caller adds, such as OpenAI's {@code stream_options} for usage), spliced into the bytes
 * ({@link JsonSplice}): nothing else is re-encoded.
 */
public final class WireCalls {
    private WireCalls() {
    }

    /**
     * The bytes to send, when the client's may be sent.
     *
     * @param dialect the adapter's dialect
     * @param roleMap the provider's role map
     * @param more    top-level fields to set besides {@code model}, as JSON text
     */
    public static Optional<byte[]> body(ProviderCall call, Dialect dialect, Map<Role, Role> roleMap,
                                        Map<String, String> more) throws ProviderException {
        Optional<WireRequest> wire = call.request().wire(dialect);
        if (wire.isEmpty() || MessageTransforms.applyRoleMap(call.request(), roleMap) != call.request()) {
            return Optional.empty();
        }
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            fields.put("model", Json.MAPPER.writeValueAsString(call.model()));
            fields.putAll(more);
            return Optional.of(JsonSplice.setFields(wire.get().body(), fields));
        } catch (IOException e) {
            // The body was parsed as a JSON object on the way in; failing now is a bug, not the client's error.
            throw new IllegalStateException("a request parsed as a JSON object could not be rewritten", e);
        }
    }

    /**
     * Refuses, without calling, a request that only its client's dialect can express when that is not this
     * adapter's: {@code UNAVAILABLE}, so the route moves on to a candidate that can serve it and no health is
     * charged.
     */
    public static void requireExpressible(ProviderCall call, Dialect dialect, String provider)
            throws ProviderException {
        Optional<WireRequest> wire = call.request().wire();
        if (wire.isPresent() && wire.get().dialect() != dialect && wire.get().ownDialectOnly().isPresent()) {
            throw ProviderException.of(FailureKind.UNAVAILABLE, provider + " speaks " + name(dialect)
                    + ", which cannot express this request's " + wire.get().ownDialectOnly().get());
        }
    }

    /**
     * Why a provider cannot serve a request that only its client's dialect can express (Anthropic's server tools,
     * OpenAI's built-in Responses tools), if so: the provider takes requests as written only in {@code asWritten}.
     *
     * @param speaks what the provider speaks, for the reason ({@code "Ollama's API"})
     */
    public static Optional<String> cannotExpress(ChatRequest request, String provider, String speaks,
                                                 Set<Dialect> asWritten) {
        Optional<WireRequest> wire = request.wire();
        if (wire.isPresent() && !asWritten.contains(wire.get().dialect()) && wire.get().ownDialectOnly().isPresent()) {
            return Optional.of(provider + " speaks " + speaks + ", which cannot express this request's "
                                       + wire.get().ownDialectOnly().get());
        }
        return Optional.empty();
    }

    /** A dialect's name for people. */
    public static String name(Dialect dialect) {
        return switch (dialect) {
            case OPENAI -> "the OpenAI API";
            case ANTHROPIC -> "the Anthropic API";
            case OLLAMA -> "Ollama's API";
            case OPENAI_RESPONSES -> "OpenAI's Responses API";
        };
    }
}
