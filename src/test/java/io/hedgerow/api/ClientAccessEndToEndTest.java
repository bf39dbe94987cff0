package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ClientAccess;
import io.hedgerow.config.ClientKey;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * Who may call: with client keys configured, every {@code /v1} request must carry one of them as a bearer key (the
 * config knows only their SHA-256), a client over its rate limit is told when to come back, and neither a refused
 * request nor a client's key ever reaches an upstream.
 */
class ClientAccessEndToEndTest {
    private static final String LAPTOP_KEY = "hr-laptop-0123456789abcdef";
    private static final String AGENT_KEY = "hr-agent-fedcba9876543210";
    private static final String CHAT = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static FakeOpenAi upstream;
    private HedgerowServer router;
    private RawClient raw;

    @BeforeAll
    static void startUpstream() {
        upstream = FakeOpenAi.start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    @BeforeEach
    void start() {
        upstream.reset();
        ClientAccess access = new ClientAccess(List.of(
                new ClientKey("laptop", ClientKeys.hash(LAPTOP_KEY), Optional.empty()),
                new ClientKey("night-agents", ClientKeys.hash(AGENT_KEY),
                              Optional.of(new ClientKey.RateLimit(2, 2)))), false);
        router = HedgerowServer.start(TestConfig.builder()
                                              .access(access)
                                              .openAi("up", upstream.baseUrl())
                                              .route("chat", "up/m1")
                                              .build());
        raw = new RawClient(router.port());
    }

    @AfterEach
    void stop() {
        raw.close();
        router.close();
    }

    private static Map<String, String> bearer(String key) {
        return Map.of("Authorization", "Bearer " + key);
    }

    @Test
    void aKnownKeyIsServedAndNeverForwarded() {
        HttpResponse<String> response = raw.chat(CHAT, bearer(LAPTOP_KEY));

        assertThat(response.body(), response.statusCode(), is(200));
        String sent = upstream.onlyExchange().header("Authorization").orElse("");
        assertThat(sent, is("Bearer " + TestConfig.defaultKey("up")));
        assertThat(upstream.onlyExchange().headers().toString(), not(containsString(LAPTOP_KEY)));
    }

    @Test
    void missingWrongOrMalformedKeysAre401sThatNeverReachTheUpstream() {
        assertUnauthorized(raw.chat(CHAT), "no API key was sent");
        assertUnauthorized(raw.chat(CHAT, bearer("hr-guess")), "not one this router knows");
        assertUnauthorized(raw.chat(CHAT, bearer(LAPTOP_KEY + "x")), "not one this router knows");
        assertUnauthorized(raw.chat(CHAT, Map.of("Authorization", "Basic " + LAPTOP_KEY)), "not a bearer key");
        assertUnauthorized(raw.chat(CHAT, Map.of("Authorization", LAPTOP_KEY)), "not a bearer key");
        // The scheme is case-insensitive, as RFC 9110 has it.
        assertThat(raw.chat(CHAT, Map.of("Authorization", "bearer " + LAPTOP_KEY)).statusCode(), is(200));
        assertThat(upstream.requestCount(), is(1));
    }

    @Test
    void modelsNeedAKeyTooButHealthDoesNot() {
        assertUnauthorized(raw.get("/v1/models"), "no API key was sent");
        assertThat(raw.get("/v1/models", bearer(AGENT_KEY)).statusCode(), is(200));
        assertThat(raw.get("/observe/health").statusCode(), is(200));
    }

    @Test
    void aClientOverItsRateLimitIsToldWhenToComeBackAndOthersAreNotAffected() {
        assertThat(raw.chat(CHAT, bearer(AGENT_KEY)).statusCode(), is(200));
        assertThat(raw.chat(CHAT, bearer(AGENT_KEY)).statusCode(), is(200));

        HttpResponse<String> limited = raw.chat(CHAT, bearer(AGENT_KEY));

        assertThat(limited.body(), limited.statusCode(), is(429));
        // 2 a minute: the next token is ~30 s away.
        int retryAfter = Integer.parseInt(limited.headers().firstValue("Retry-After").orElse("0"));
        assertThat(String.valueOf(retryAfter), retryAfter > 25 && retryAfter <= 30, is(true));
        JsonNode error = RawClient.json(limited).get("error");
        assertThat(error.get("code").asText(), is("rate_limit_exceeded"));
        assertThat(error.get("type").asText(), is("rate_limit_error"));
        assertThat(error.get("message").asText(), containsString("night-agents"));
        assertThat(upstream.requestCount(), is(2));
        assertThat(raw.chat(CHAT, bearer(LAPTOP_KEY)).statusCode(), is(200));
        assertThat(router.ledger().snapshot().get("status_429"), is(1L));
    }

    private static void assertUnauthorized(HttpResponse<String> response, String why) {
        assertThat(response.body(), response.statusCode(), is(401));
        assertThat(response.headers().firstValue("WWW-Authenticate").orElse(""), is("Bearer"));
        assertThat(response.headers().firstValue("Content-Type").orElse(""), is("application/json"));
        JsonNode error = RawClient.json(response).get("error");
        assertThat(error.get("type").asText(), is("invalid_request_error"));
        assertThat(error.get("code").asText(), is("invalid_api_key"));
        assertThat(error.get("message").asText(), containsString(why));
        assertThat(response.body(), not(containsString(LAPTOP_KEY)));
    }
}
