package io.hedgerow.provider;

import io.hedgerow.config.ApiKey;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ChatRequest;

import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.sameInstance;

class FailureClassifierTest {
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    private static Failure classify(int status, Map<String, String> headers, String body) {
        return FailureClassifier.fromStatus(status, name -> Optional.ofNullable(headers.get(name)), body,
                                            Optional.empty(), NOW);
    }

    @Test
    void statusesMapToClasses() {
        assertThat(classify(429, Map.of(), "").kind(), is(FailureKind.RATE_LIMITED));
        assertThat(classify(529, Map.of(), "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}").kind(),
                   is(FailureKind.RATE_LIMITED));
        assertThat(classify(429, Map.of(), "{\"error\":{\"code\":\"insufficient_quota\",\"message\":\"check billing\"}}")
                           .kind(), is(FailureKind.AUTH));
        assertThat(classify(401, Map.of(), "").kind(), is(FailureKind.AUTH));
        assertThat(classify(403, Map.of(), "").kind(), is(FailureKind.AUTH));
        assertThat(classify(500, Map.of(), "").kind(), is(FailureKind.SERVER_ERROR));
        assertThat(classify(503, Map.of(), "").kind(), is(FailureKind.SERVER_ERROR));
        assertThat(classify(408, Map.of(), "").kind(), is(FailureKind.TIMEOUT));
        assertThat(classify(400, Map.of(), "{\"error\":{\"message\":\"bad field\"}}").kind(), is(FailureKind.BAD_REQUEST));
        assertThat(classify(400, Map.of(), "{\"error\":{\"code\":\"context_length_exceeded\",\"message\":\"x\"}}").kind(),
                   is(FailureKind.CONTEXT_LENGTH));
        assertThat(classify(400, Map.of(), "{\"type\":\"error\",\"error\":{\"message\":\"prompt is too long: 210000 tokens\"}}")
                           .kind(), is(FailureKind.CONTEXT_LENGTH));
        assertThat(classify(400, Map.of(), "{\"error\":{\"code\":\"content_filter\",\"message\":\"no\"}}").kind(),
                   is(FailureKind.CONTENT_FILTER));
        assertThat(classify(404, Map.of(), "{\"error\":\"model 'x' not found\"}").kind(), is(FailureKind.NOT_FOUND));
    }

    @Test
    void aServerErrorIsAServerErrorWhateverItsText() {
        // An "overloaded" 503 treated as a rate limit cooled the key on a blind ladder, hidden from the breaker.
        for (int status : new int[]{500, 502, 503, 504}) {
            for (String body : List.of("{\"error\":{\"message\":\"The server is overloaded, retry later\"}}",
                                       "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}",
                                       "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}")) {
                assertThat(status + " " + body, classify(status, Map.of(), body).kind(), is(FailureKind.SERVER_ERROR));
            }
        }
        // Anthropic's 529 and an explicit 429 are the rate-limit signals.
        assertThat(classify(529, Map.of(), "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}").kind(),
                   is(FailureKind.RATE_LIMITED));
        assertThat(classify(429, Map.of(), "{\"error\":{\"message\":\"overloaded\"}}").kind(),
                   is(FailureKind.RATE_LIMITED));
    }

    @Test
    void messageComesFromTheBodyAndIsRedacted() {
        ApiKey key = ApiKey.of("main", "sk-proj-abcdefghijklmnop");
        Failure failure = FailureClassifier.fromStatus(401, name -> Optional.empty(),
                "{\"error\":{\"message\":\"Incorrect API key provided: sk-proj-abcdefghijklmnop. Also sk-abc***xyz1.\"}}",
                Optional.of(key), NOW);
        assertThat(failure.message(), containsString("Incorrect API key provided"));
        assertThat(failure.message(), not(containsString("abcdefghijklmnop")));
        assertThat(failure.message(), not(containsString("sk-abc")));
        assertThat(failure.summary(), is("401 auth failed"));
    }

    @Test
    void retryAfterInEveryForm() {
        assertThat(classify(429, Map.of("retry-after", "2"), "").retryAfter(), is(Optional.of(Duration.ofSeconds(2))));
        assertThat(classify(429, Map.of("retry-after-ms", "1500", "retry-after", "9"), "").retryAfter(),
                   is(Optional.of(Duration.ofMillis(1500))));
        assertThat(classify(429, Map.of("retry-after", "Sun, 22 Nov 2026 10:00:30 GMT"), "").retryAfter(),
                   is(Optional.of(Duration.ofSeconds(30))));
        assertThat(classify(429, Map.of("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "6m0s",
                                        "x-ratelimit-remaining-tokens", "100", "x-ratelimit-reset-tokens", "1s"), "")
                           .retryAfter(), is(Optional.of(Duration.ofMinutes(6))));
        assertThat(classify(429, Map.of("anthropic-ratelimit-requests-remaining", "0",
                                        "anthropic-ratelimit-requests-reset", "2026-11-22T10:00:05Z"), "").retryAfter(),
                   is(Optional.of(Duration.ofSeconds(5))));
        assertThat(classify(429, Map.of("retry-after", "soon"), "").retryAfter(), is(Optional.empty()));
        assertThat(RetryAfter.goDuration("1h2m3.5s"), is(Optional.of(Duration.ofMillis(3_723_500))));
        assertThat(RetryAfter.goDuration("20ms"), is(Optional.of(Duration.ofMillis(20))));
        assertThat(RetryAfter.goDuration("2 s"), is(Optional.empty()));
    }

    @Test
    void exceptionsMapToClasses() {
        assertThat(FailureClassifier.fromException(new UncheckedIOException(new ConnectException("refused")), false)
                           .kind(), is(FailureKind.CONNECTION));
        assertThat(FailureClassifier.fromException(new UncheckedIOException(new SocketTimeoutException("t")), false)
                           .kind(), is(FailureKind.TIMEOUT));
        assertThat(FailureClassifier.fromException(new UncheckedIOException(new java.io.IOException("reset")), true)
                           .kind(), is(FailureKind.BAD_RESPONSE));
        assertThat(FailureClassifier.fromException(new UncheckedIOException(new java.io.IOException("reset")), false)
                           .kind(), is(FailureKind.CONNECTION));
    }

    @Test
    void roleMapRewritesOnlySystemDeveloperAndUser() {
        Message developer = Message.text(Role.DEVELOPER, "be brief");
        Message assistant = new Message(Role.ASSISTANT, List.of(), List.of(new ToolCall("c1", "f", "{\"a\":1}")),
                                        Optional.empty(), Optional.empty());
        Message tool = new Message(Role.TOOL, List.of(new io.hedgerow.model.ContentPart.Text("42")), List.of(),
                                   Optional.of("c1"), Optional.empty());
        ChatRequest request = new ChatRequest("m", List.of(developer, assistant, tool), List.of(), Optional.empty(),
                                              ChatRequest.Sampling.defaults(), false, false, Map.of());
        ChatRequest mapped = MessageTransforms.applyRoleMap(request, Map.of(Role.DEVELOPER, Role.SYSTEM,
                                                                            Role.TOOL, Role.USER,
                                                                            Role.ASSISTANT, Role.USER));
        assertThat(mapped.messages().get(0), is(developer.withRole(Role.SYSTEM)));
        assertThat(mapped.messages().get(1), sameInstance(assistant));
        assertThat(mapped.messages().get(2), sameInstance(tool));
        assertThat(MessageTransforms.applyRoleMap(request, Map.of()), sameInstance(request));
    }
}
