package io.hedgerow.provider.anthropic;

import io.hedgerow.dialect.anthropic.AnthropicFixtures;
import io.hedgerow.config.ApiKey;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.Usage;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static io.hedgerow.provider.anthropic.Fixtures.CLOCK;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.KEY_VALUE;
import static io.hedgerow.provider.anthropic.Fixtures.call;
import static io.hedgerow.provider.anthropic.Fixtures.config;
import static io.hedgerow.dialect.anthropic.AnthropicFixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Non-streamed answers and refusals, through a real HTTP exchange with the fake. */
class AnthropicCompleteTest {
    private FakeAnthropic fake;
    private AnthropicProvider provider;

    @BeforeEach
    void start() {
        fake = FakeAnthropic.start();
        provider = new AnthropicProvider(config(fake.baseUrl()), CLOCK);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void textAnswerIsTranslated() throws ProviderException {
        fake.enqueue(FakeAnthropic.Answer.text("Hello there.").model("claude-sonnet-4-5-20250929")
                             .usage(25, 7).cache(3, 100));

        ChatResponse response = provider.complete(call("hi"));

        assertEquals("claude-sonnet-4-5-20250929", response.model());
        assertEquals(Message.text(Role.ASSISTANT, "Hello there."), response.message());
        assertEquals(FinishReason.STOP, response.finishReason());
        // OpenAI counts cached input as prompt tokens (Anthropic's input_tokens does not); the part read from the
        // cache is the cached tokens, the part written to it is not.
        assertEquals(Optional.of(new Usage(128, 7, Optional.of(100), Optional.empty())), response.usage());
        assertEquals(Optional.empty(), response.reasoning());
        assertEquals("anthropic-main", provider.name());
    }

    @Test
    void toolUseAnswerIsTranslated() throws ProviderException {
        String oslo = "{\"city\":\"Oslo\",\"days\":[1,2],\"precision\":1.50}";
        String bergen = "{\"city\":\"Bergen\",\"nested\":{\"units\":\"metric\",\"flags\":[true,null]}}";
        fake.enqueue(FakeAnthropic.answer().thenThinking("Two cities, two calls.").thenText("Checking.")
                             .toolUse("toolu_01A09q90qw90lq917835lq9", "get_weather", oslo)
                             .toolUse("toolu_01B", "get_weather", bergen)
                             .usage(40, 30));

        ChatResponse response = provider.complete(call("Weather in Oslo and Bergen?"));

        assertEquals(FinishReason.TOOL_CALLS, response.finishReason());
        assertEquals("Checking.", response.message().text());
        List<ToolCall> calls = response.message().toolCalls();
        assertEquals(2, calls.size());
        assertEquals("toolu_01A09q90qw90lq917835lq9", calls.get(0).id());
        assertEquals("get_weather", calls.get(0).name());
        assertEquals(json(oslo), json(calls.get(0).arguments()));
        assertEquals(oslo, calls.get(0).arguments(), "numbers keep their written form");
        assertEquals("toolu_01B", calls.get(1).id());
        assertEquals(json(bergen), json(calls.get(1).arguments()));
        assertEquals(Optional.of(new Usage(40, 30, Optional.of(0), Optional.empty())), response.usage());
        assertEquals(Optional.of("Two cities, two calls."), response.reasoning());
    }

    @Test
    void toolUseOnlyAnswerHasNoTextPart() throws ProviderException {
        fake.enqueue(FakeAnthropic.answer().toolUse("toolu_1", "now", "{}"));

        ChatResponse response = provider.complete(call("time?"));

        assertEquals(List.of(), response.message().content());
        assertEquals(List.of(new ToolCall("toolu_1", "now", "{}")), response.message().toolCalls());
    }

    @Test
    void stopReasonsAreMapped() throws ProviderException {
        fake.enqueue(FakeAnthropic.Answer.text("cut").stopReason("max_tokens"),
                     FakeAnthropic.Answer.text("no").stopReason("refusal"),
                     FakeAnthropic.Answer.text("END").stopReason("stop_sequence"));

        assertEquals(FinishReason.LENGTH, provider.complete(call("a")).finishReason());
        assertEquals(FinishReason.CONTENT_FILTER, provider.complete(call("b")).finishReason());
        assertEquals(FinishReason.STOP, provider.complete(call("c")).finishReason());
    }

    @Test
    void rateLimitWithRetryAfterIsRateLimited() {
        fake.enqueue(FakeAnthropic.error(429, "rate_limit_error", "Number of request tokens has exceeded your "
                + "per-minute rate limit").header("retry-after", "2"));

        Failure failure = failure(() -> provider.complete(call("hi")));

        assertEquals(FailureKind.RATE_LIMITED, failure.kind());
        assertEquals(429, failure.status());
        assertEquals(Optional.of(Duration.ofSeconds(2)), failure.retryAfter());
    }

    @Test
    void overloadedIsRateLimited() {
        fake.enqueue(FakeAnthropic.error(529, "overloaded_error", "Overloaded"));

        Failure failure = failure(() -> provider.complete(call("hi")));

        assertEquals(FailureKind.RATE_LIMITED, failure.kind());
        assertEquals(529, failure.status());
        assertEquals("Overloaded", failure.message());
    }

    @Test
    void authFailureNeverShowsTheKeyEvenWhenEchoed() {
        fake.enqueue(FakeAnthropic.status(401, r -> FakeAnthropic.errorJson("authentication_error",
                "invalid x-api-key: " + r.header("x-api-key").orElse("?"))));

        ProviderException e = assertThrows(ProviderException.class, () -> provider.complete(call("hi")));

        assertEquals(FailureKind.AUTH, e.failure().kind());
        assertEquals(401, e.failure().status());
        assertTrue(e.failure().message().startsWith("invalid x-api-key: "), e.failure().message());
        assertFalse(e.getMessage().contains(KEY_VALUE), e.getMessage());
        assertFalse(e.failure().message().contains(KEY_VALUE), e.failure().message());
    }

    @Test
    void aKeyOfNoKnownShapeIsRedactedToo() {
        String secret = "plainSecretValue0042";
        fake.enqueue(FakeAnthropic.status(403, r -> FakeAnthropic.errorJson("permission_error",
                "key " + r.header("x-api-key").orElse("?") + " may not use this model")));
        ProviderCall call = new ProviderCall(AnthropicFixtures.request(Message.text(Role.USER, "hi")), "m",
                                             Optional.of(ApiKey.of("odd", secret)));

        ProviderException e = assertThrows(ProviderException.class, () -> provider.complete(call));

        assertEquals(FailureKind.AUTH, e.failure().kind());
        assertFalse(e.getMessage().contains(secret), e.getMessage());
        assertEquals(Optional.of(secret), fake.lastRequest().header("x-api-key"));
    }

    @Test
    void promptTooLongIsContextLength() {
        fake.enqueue(FakeAnthropic.error(400, "invalid_request_error", "prompt is too long: 215000 tokens > "
                + "200000 maximum"));

        Failure failure = failure(() -> provider.complete(call("hi")));

        assertEquals(FailureKind.CONTEXT_LENGTH, failure.kind());
        assertEquals(400, failure.status());
    }

    @Test
    void otherBadRequestsAreBadRequests() {
        fake.enqueue(FakeAnthropic.error(400, "invalid_request_error", "messages: roles must alternate"));

        assertEquals(FailureKind.BAD_REQUEST, failure(() -> provider.complete(call("hi"))).kind());
    }

    @Test
    void serverErrorIsServerError() {
        fake.enqueue(FakeAnthropic.error(500, "api_error", "Internal server error"));

        assertEquals(FailureKind.SERVER_ERROR, failure(() -> provider.complete(call("hi"))).kind());
    }

    @Test
    void nonJsonSuccessIsABadResponse() {
        fake.enqueue(FakeAnthropic.status(200, "<html><body>Gateway says hi</body></html>").contentType("text/html"));

        Failure failure = failure(() -> provider.complete(call("hi")));

        assertEquals(FailureKind.BAD_RESPONSE, failure.kind());
        assertTrue(failure.message().startsWith("response is not JSON"), failure.message());
    }

    @Test
    void successWithoutContentIsABadResponse() {
        fake.enqueue(FakeAnthropic.status(200, "{\"id\":\"msg_1\",\"type\":\"message\",\"model\":\"x\"}"));

        assertEquals(FailureKind.BAD_RESPONSE, failure(() -> provider.complete(call("hi"))).kind());
    }

    @Test
    void errorObjectWithSuccessStatusIsClassified() {
        fake.enqueue(FakeAnthropic.status(200, FakeAnthropic.errorJson("overloaded_error", "Overloaded")));

        assertEquals(FailureKind.RATE_LIMITED, failure(() -> provider.complete(call("hi"))).kind());
    }

    private interface Attempt {
        void run() throws ProviderException;
    }

    private static Failure failure(Attempt attempt) {
        return assertThrows(ProviderException.class, attempt::run).failure();
    }
}
