package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.model.Role;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the upstream receives, and what never leaks back: a provider's role map rewrites only the roles it may
 * (tool calls and tool results pass through exactly), configured headers and the provider's own bearer key are
 * sent while the client's credentials are not, and a key the upstream echoes in an error never reaches the
 * client.
 */
class UpstreamRequestEndToEndTest {
    private static final String PICKY_KEY = "sk-picky-secret-value-123456";
    private static final String LEAKY_KEY = "sk-leaky-SECRET-4f9a2b7c91d0";
    /** A key of no recognisable shape: only an exact match can find it. */
    private static final String ODD_KEY = "hr_live_7Qm2xZ9pL4vK8w";

    private static FakeOpenAi upstream;
    private static HedgerowServer router;
    private static RawClient raw;

    @BeforeAll
    static void start() {
        upstream = FakeOpenAi.start();
    }

    @AfterAll
    static void stop() {
        upstream.close();
    }

    /** A fresh router per test: breakers, cooldowns and baselines from one test must not steer the next. */
    @BeforeEach
    void startRouter() {
        router = HedgerowServer.start(TestConfig.builder()
                                              .openAi("picky", upstream.baseUrl(), p -> p
                                                      .key("main", PICKY_KEY)
                                                      .roleMap(Role.DEVELOPER, Role.SYSTEM)
                                                      .header("User-Agent", "picky-client/1.0")
                                                      .header("X-Title", "Hedgerow"))
                                              .openAi("plain", upstream.baseUrl(), p -> p.model("gpt-4.1-mini", 1_047_576))
                                              .openAi("leaky", upstream.baseUrl(), p -> p.key("main", LEAKY_KEY))
                                              .openAi("odd", upstream.baseUrl(), p -> p.key("main", ODD_KEY))
                                              .route("picky", "picky/deepseek-chat")
                                              .route("plain", "plain/m1")
                                              .route("leaky", "leaky/m1")
                                              .route("odd", "odd/m1")
                                              .build());
        raw = new RawClient(router.port());
    }

    @org.junit.jupiter.api.AfterEach
    void stopRouter() {
        raw.close();
        router.close();
    }

    @BeforeEach
    void reset() {
        upstream.reset();
    }

    @Test
    void roleMapRewritesDeveloperAndLeavesToolTrafficExactlyAsSent() throws Exception {
        String request = """
                {"model":"picky","messages":[
                  {"role":"developer","content":"Answer in French."},
                  {"role":"system","content":"You are terse."},
                  {"role":"user","content":"Weather in Zürich and Paris?"},
                  {"role":"assistant","content":"Let me check.","tool_calls":[
                    {"id":"call_9fQ2","type":"function","function":{"name":"get_weather",
                     "arguments":"{\\"city\\": \\"Zürich\\",\\n  \\"unit\\" :\\"c\\", \\"note\\":\\"\\\\u00e9 \\\\\\"q\\\\\\"\\"}"}},
                    {"id":"call_7xK1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
                  {"role":"tool","tool_call_id":"call_9fQ2","content":"{\\"temp\\": 18}"},
                  {"role":"tool","tool_call_id":"call_7xK1","content":[{"type":"text","text":"sunny"}]},
                  {"role":"user","content":"Thanks"}]}""";
        JsonNode sentByClient = RawClient.json(request).get("messages");

        HttpResponse<String> response = raw.chat(request);

        assertEquals(200, response.statusCode(), response::body);
        JsonNode messages = upstream.onlyExchange().body().get("messages");
        assertEquals(sentByClient.size(), messages.size());
        assertEquals(json("{\"role\":\"system\",\"content\":\"Answer in French.\"}"), messages.get(0));
        assertEquals(sentByClient.get(1), messages.get(1));
        assertEquals(sentByClient.get(2), messages.get(2));
        assertEquals(sentByClient.get(3), messages.get(3), "assistant tool calls pass through exactly");
        assertEquals(sentByClient.at("/3/tool_calls/0/function/arguments").asText(),
                     messages.at("/3/tool_calls/0/function/arguments").asText());
        assertEquals(sentByClient.get(4), messages.get(4), "tool results pass through exactly");
        assertEquals(sentByClient.get(5).get("tool_call_id"), messages.get(5).get("tool_call_id"));
        assertEquals("sunny", messages.get(5).get("content").isArray()
                ? messages.at("/5/content/0/text").asText() : messages.get(5).get("content").asText());
        assertEquals(sentByClient.get(6), messages.get(6));
        assertEquals("deepseek-chat", upstream.onlyExchange().body().get("model").asText());
    }

    @Test
    void withoutRoleMapDeveloperStaysDeveloper() {
        HttpResponse<String> response = raw.chat("""
                {"model":"plain","messages":[{"role":"developer","content":"Be kind."},
                                             {"role":"user","content":"Hi"}]}""");

        assertEquals(200, response.statusCode(), response::body);
        assertEquals("developer", upstream.onlyExchange().body().at("/messages/0/role").asText());
    }

    @Test
    void providerSlashModelAddressesOneCandidateDirectly() {
        HttpResponse<String> response = raw.chat("""
                {"model":"plain/gpt-4.1-mini","messages":[{"role":"user","content":"Hi"}]}""");

        assertEquals(200, response.statusCode(), response::body);
        assertEquals("gpt-4.1-mini", upstream.onlyExchange().body().get("model").asText());
        assertEquals(Optional.of("plain/gpt-4.1-mini#main:ok"), response.headers().firstValue("x-hedgerow-attempts"));
    }

    @Test
    void configuredHeadersAndTheProvidersKeyAreSentButNotTheClientsCredentials() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + router.port() + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(15))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer client-token-abc")
                    .header("X-Api-Key", "client-api-key")
                    .header("Cookie", "session=client-cookie")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"picky\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response::body);
        } finally {
            http.shutdownNow();
        }

        FakeOpenAi.Exchange sent = upstream.onlyExchange();
        assertEquals(List.of("picky-client/1.0"), sent.headers().get("user-agent"));
        assertEquals(Optional.of("Hedgerow"), sent.header("X-Title"));
        assertEquals(List.of("Bearer " + PICKY_KEY), sent.headers().get("authorization"));
        assertEquals(Optional.empty(), sent.header("X-Api-Key"));
        assertEquals(Optional.empty(), sent.header("Cookie"));
        assertThat(sent.headers().toString(), not(containsString("client-")));
        assertThat(sent.header("Content-Type").orElse(""), containsString("application/json"));
    }

    @Test
    void keyEchoedByA401NeverReachesTheClient() {
        Reply echo = Reply.error(401, "invalid_request_error", "invalid_api_key",
                                 "Incorrect API key provided: " + LEAKY_KEY + " (sk-leak************91d0). "
                                         + "You can find your API key at https://platform.openai.com/account/api-keys.")
                .header("X-Debug-Key", LEAKY_KEY)
                .header("WWW-Authenticate", "Bearer realm=\"" + LEAKY_KEY + "\"");
        upstream.otherwise(echo);

        for (String body : List.of("{\"model\":\"leaky\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                                   "{\"model\":\"leaky\",\"stream\":true,"
                                           + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")) {
            // A fresh router each time: the 401 cools the key, and a cooling key is skipped (a 503, no call).
            stopRouter();
            startRouter();
            HttpResponse<String> response = raw.chat(body);

            assertEquals(502, response.statusCode(), response::body);
            assertEquals("upstream_failed", RawClient.json(response).at("/error/code").asText());
            assertThat(RawClient.json(response).at("/error/message").asText(), containsString("401"));
            assertNoSecret(response, LEAKY_KEY, "SECRET-4f9a2b7c", "91d0");
        }
    }

    @Test
    void keyOfNoKnownShapeIsRedactedToo() {
        upstream.otherwise(Reply.invalidApiKeyEchoed());

        HttpResponse<String> response = raw.chat("{\"model\":\"odd\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertEquals(502, response.statusCode(), response::body);
        assertThat(upstream.exchanges().getFirst().header("Authorization").orElse(""), containsString(ODD_KEY));
        assertThat(RawClient.json(response).at("/error/message").asText(), containsString("Incorrect API key"));
        assertNoSecret(response, ODD_KEY);
    }

    @Test
    void keyEchoedInAnErrorWithStatus200OrMidStreamNeverReachesTheClient() {
        upstream.enqueue(Reply.raw(200, "application/json",
                                   "{\"error\":{\"message\":\"bad key " + LEAKY_KEY + "\",\"code\":401}}"),
                         Reply.raw(200, "text/event-stream",
                                   "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                                           + "\"model\":\"m1\",\"choices\":[{\"index\":0,"
                                           + "\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
                                           + "data: {\"error\":{\"message\":\"key " + LEAKY_KEY
                                           + " revoked\",\"type\":\"invalid_request_error\"}}\n\n"));

        HttpResponse<String> json = raw.chat("{\"model\":\"leaky\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertEquals(502, json.statusCode(), json::body);
        assertNoSecret(json, LEAKY_KEY, "SECRET-4f9a2b7c");

        stopRouter();
        startRouter();
        HttpResponse<String> stream = raw.chat(
                "{\"model\":\"leaky\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertEquals(200, stream.statusCode(), stream::body);
        assertThat(stream.body(), containsString("\"error\""));
        assertNoSecret(stream, LEAKY_KEY, "SECRET-4f9a2b7c");
    }

    private static void assertNoSecret(HttpResponse<String> response, String... secrets) {
        for (String secret : secrets) {
            assertFalse(response.body().contains(secret), "the body leaks '" + secret + "': " + response.body());
            for (Map.Entry<String, List<String>> header : response.headers().map().entrySet()) {
                for (String value : header.getValue()) {
                    assertFalse(value.contains(secret), "header " + header.getKey() + " leaks '" + secret + "'");
                }
            }
        }
        assertTrue(response.headers().firstValue("x-hedgerow-attempts").isPresent());
    }

    private static JsonNode json(String text) {
        return RawClient.json(text);
    }
}
