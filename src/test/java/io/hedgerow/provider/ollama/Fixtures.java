package io.hedgerow.provider.ollama;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.json.Json;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** Shared builders for the Ollama adapter's tests. */
final class Fixtures {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
    static final String MODEL = "llama3.2:3b";

    private Fixtures() {
    }

    static ProviderConfig config(URI baseUrl) {
        return config(baseUrl, List.of(), Map.of(), Map.of());
    }

    static ProviderConfig config(URI baseUrl, List<ApiKey> keys, Map<String, String> headers, Map<Role, Role> roleMap) {
        return new ProviderConfig("local-ollama", ProviderType.OLLAMA, Optional.of(baseUrl), keys, headers, roleMap,
                                  Timeouts.DEFAULTS, SimSettings.DEFAULTS);
    }

    static OllamaProvider provider(URI baseUrl) {
        return new OllamaProvider(config(baseUrl), CLOCK);
    }

    static ChatRequest request(List<Message> messages) {
        return new ChatRequest("alias", messages, List.of(), Optional.empty(), ChatRequest.Sampling.defaults(),
                               false, false, Map.of());
    }

    static ProviderCall call(ChatRequest request) {
        return new ProviderCall(request, MODEL, Optional.empty());
    }

    static ProviderCall hello() {
        return call(request(List.of(Message.text(Role.USER, "Hi"))));
    }

    static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A port nothing listens on: bound, then released. */
    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FunctionalInterface
    interface Attempt {
        void run() throws ProviderException;
    }

    static ProviderException fails(Attempt attempt) {
        return assertThrows(ProviderException.class, attempt::run);
    }
}
