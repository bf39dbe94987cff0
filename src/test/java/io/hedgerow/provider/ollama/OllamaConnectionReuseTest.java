package io.hedgerow.provider.ollama;

import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderException;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static io.hedgerow.provider.ollama.Fixtures.hello;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** A finished NDJSON stream gives its connection back for the next request. */
class OllamaConnectionReuseTest {
    private final Set<String> connections = ConcurrentHashMap.newKeySet();
    private final WebServer server = WebServer.builder()
            .host("127.0.0.1")
            .port(0)
            .routing(r -> r.post("/api/chat", this::chat))
            .build()
            .start();

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void threeStreamsOnOneConnection() throws ProviderException {
        OllamaProvider provider = Fixtures.provider(URI.create("http://127.0.0.1:" + server.port()));
        for (int i = 0; i < 3; i++) {
            int events = 0;
            try (ChatStream stream = provider.stream(hello())) {
                Optional<StreamEvent> event;
                while ((event = stream.next()).isPresent()) {
                    events++;
                }
            }
            assertThat(events, is(3)); // "Hi", finish, usage
        }
        assertThat(connections.size(), is(1));
    }

    private void chat(ServerRequest req, ServerResponse res) throws IOException {
        req.content().consume();
        connections.add(req.socketId());
        res.header(HeaderNames.CONTENT_TYPE, "application/x-ndjson");
        try (OutputStream out = res.outputStream()) {
            out.write(("{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\","
                    + "\"content\":\"Hi\"},\"done\":false}\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            out.write(("{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\","
                    + "\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":3,"
                    + "\"eval_count\":1}\n").getBytes(StandardCharsets.UTF_8));
        }
    }
}
