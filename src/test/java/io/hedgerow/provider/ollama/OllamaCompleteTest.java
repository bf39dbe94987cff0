package io.hedgerow.provider.ollama;

import io.hedgerow.config.ApiKey;
import io.hedgerow.fakes.FakeOllama;
import io.hedgerow.fakes.FakeOllama.Answer;
import io.hedgerow.fakes.FakeOllama.FakeCall;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.Usage;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.hedgerow.provider.ollama.Fixtures.CLOCK;
import static io.hedgerow.provider.ollama.Fixtures.MODEL;
import static io.hedgerow.provider.ollama.Fixtures.config;
import static io.hedgerow.provider.ollama.Fixtures.fails;
import static io.hedgerow.provider.ollama.Fixtures.hello;
import static io.hedgerow.provider.ollama.Fixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Non-streamed answers and refusals, against the fake server. */
class OllamaCompleteTest {
    private static final String ID_PATTERN = "call_\\d+_[0-9a-f]{8}";

    private FakeOllama ollama;
    private OllamaProvider provider;

    @BeforeEach
    void start() {
        ollama = FakeOllama.start();
        provider = Fixtures.provider(ollama.baseUrl());
    }

    @AfterEach
    void stop() {
        ollama.close();
    }

    @Test
    void textAnswer() throws ProviderException {
        ollama.answerNext(Answer.text("Bonjour", " !").withUsage(26, 4));

        ChatResponse response = provider.complete(hello());

        assertEquals(MODEL, response.model());
        assertEquals(Role.ASSISTANT, response.message().role());
        assertEquals(List.of(new ContentPart.Text("Bonjour !")), response.message().content());
        assertEquals(List.of(), response.message().toolCalls());
        assertEquals(FinishReason.STOP, response.finishReason());
        assertEquals(Optional.of(new Usage(26, 4)), response.usage());
        assertEquals(Optional.empty(), response.reasoning());
    }

    @Test
    void thinkingIsTheReasoning() throws ProviderException {
        ollama.answerNext(Answer.text("4").withThinking("Two and ", "two make four.").withUsage(12, 9));

        ChatResponse response = provider.complete(hello());

        assertEquals(Optional.of("Two and two make four."), response.reasoning());
        assertEquals("4", response.message().text());
        assertEquals(Optional.of(new Usage(12, 9)), response.usage());
    }

    @Test
    void toolCallAnswerHasDeterministicUniqueIdsAndExactArguments() throws ProviderException {
        FakeCall paris = FakeCall.of("get_weather", "{\"city\":\"Paris\",\"days\":[1,2],\"metric\":true}");
        Answer answer = Answer.toolCalls(paris, paris, FakeCall.of("get_time", "{}")).withUsage(50, 20);
        ollama.answerNext(answer, answer);

        ChatResponse first = provider.complete(hello());
        ChatResponse second = provider.complete(hello());

        List<ToolCall> calls = first.message().toolCalls();
        assertEquals(3, calls.size());
        assertEquals(List.of("get_weather", "get_weather", "get_time"), calls.stream().map(ToolCall::name).toList());
        for (ToolCall call : calls) {
            assertTrue(call.id().matches(ID_PATTERN), call.id());
        }
        assertEquals(3, calls.stream().map(ToolCall::id).distinct().count(), "ids unique within the answer");
        assertEquals(calls, second.message().toolCalls(), "the same answer yields the same ids");
        assertEquals(json(paris.argumentsJson()), json(calls.get(0).arguments()));
        assertEquals(json("{}"), json(calls.get(2).arguments()));
        assertEquals(List.of(), first.message().content());
        assertEquals(FinishReason.TOOL_CALLS, first.finishReason());
        assertEquals(Optional.of(new Usage(50, 20)), first.usage());
    }

    @Test
    void idsSentByOllamaAreKept() throws ProviderException {
        ollama.answerNext(Answer.toolCalls(FakeCall.of("get_time", "{\"tz\":\"UTC\"}").withId("call_abc123")));

        ChatResponse response = provider.complete(hello());

        assertEquals(List.of(new ToolCall("call_abc123", "get_time", "{\"tz\":\"UTC\"}")),
                     response.message().toolCalls());
    }

    @Test
    void textAndToolCallsTogether() throws ProviderException {
        ollama.answerNext(Answer.text("Let me check.").withCalls(List.of(FakeCall.of("get_time", "{}"))));

        ChatResponse response = provider.complete(hello());

        assertEquals("Let me check.", response.message().text());
        assertEquals(1, response.message().toolCalls().size());
        assertEquals(FinishReason.TOOL_CALLS, response.finishReason());
    }

    @Test
    void lengthAndUsageVariants() throws ProviderException {
        ollama.answerNext(Answer.text("truncat").withDoneReason("length"),
                          Answer.raw(200, "application/json",
                                     "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
                                     + "\"done\":true,\"done_reason\":\"stop\",\"eval_count\":5}"));

        ChatResponse length = provider.complete(hello());
        ChatResponse cached = provider.complete(hello());

        assertEquals(FinishReason.LENGTH, length.finishReason());
        assertEquals(Optional.empty(), length.usage(), "no counts, no usage");
        // Ollama omits prompt_eval_count when it is 0 (a fully cached prompt).
        assertEquals(Optional.of(new Usage(0, 5)), cached.usage());
        assertEquals("m", cached.model());
    }

    @Test
    void modelNotFoundLetsAnotherCandidateTry() {
        ollama.answerNext(Answer.status(404, "{\"error\":\"model 'llama9' not found, try pulling it first\"}"));

        ProviderException e = fails(() -> provider.complete(hello()));

        assertEquals(FailureKind.NOT_FOUND, e.failure().kind());
        assertEquals(404, e.failure().status());
        assertEquals("model 'llama9' not found, try pulling it first", e.failure().message());
    }

    @Test
    void serverBusyIsAServerError() {
        // Ollama's answer when OLLAMA_MAX_QUEUE is full: retried after a backoff, and the breaker hears of it.
        ollama.answerNext(Answer.status(503,
                "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}"));

        ProviderException e = fails(() -> provider.complete(hello()));

        assertEquals(FailureKind.SERVER_ERROR, e.failure().kind());
        assertEquals(503, e.failure().status());
    }

    @Test
    void errorMessagesAreRedacted() {
        ApiKey key = ApiKey.of("proxy", "proxy-secret-value-42");
        OllamaProvider behindProxy = new OllamaProvider(config(ollama.baseUrl(), List.of(key), Map.of(), Map.of()),
                                                        CLOCK);
        ollama.answerNext(Answer.status(401, "{\"error\":\"bad token proxy-secret-value-42\"}"),
                          Answer.raw(200, "application/json", "{\"error\":\"upstream rejected proxy-secret-value-42\"}"));
        ProviderCall call = new ProviderCall(hello().request(), MODEL, Optional.of(key));

        ProviderException status = fails(() -> behindProxy.complete(call));
        ProviderException inBody = fails(() -> behindProxy.complete(call));

        assertEquals(FailureKind.AUTH, status.failure().kind());
        assertFalse(status.failure().message().contains("proxy-secret-value-42"), status.failure().message());
        assertEquals(FailureKind.SERVER_ERROR, inBody.failure().kind());
        assertEquals("upstream rejected [redacted]", inBody.failure().message());
    }

    @Test
    void nonJsonOkIsABadResponse() {
        ollama.answerNext(Answer.raw(200, "text/html", "<html>captive portal</html>"),
                          Answer.raw(200, "application/json", "{\"done\":true}"));

        assertEquals(FailureKind.BAD_RESPONSE, fails(() -> provider.complete(hello())).failure().kind());
        assertEquals(FailureKind.BAD_RESPONSE, fails(() -> provider.complete(hello())).failure().kind(),
                     "JSON without a message");
    }

    @Test
    void connectionRefusedIsAConnectionFailure() {
        OllamaProvider nowhere = Fixtures.provider(URI.create("http://127.0.0.1:" + Fixtures.closedPort()));

        assertEquals(FailureKind.CONNECTION, fails(() -> nowhere.complete(hello())).failure().kind());
        assertEquals(FailureKind.CONNECTION, fails(() -> nowhere.stream(hello())).failure().kind());
    }

    @Test
    void nameIsTheConfiguredName() {
        assertEquals("local-ollama", provider.name());
    }
}
