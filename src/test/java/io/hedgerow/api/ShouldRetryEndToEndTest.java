package io.hedgerow.api;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * An official SDK with its default retries in front of Hedgerow: when Hedgerow has already tried the whole chain,
 * with its own retries, it says retrying is pointless ({@code x-should-retry: false}) and the SDK does not multiply
 * the upstream calls by repeating the chain.
 */
class ShouldRetryEndToEndTest {
    @Test
    void anSdkWithDefaultRetriesDoesNotRepeatAChainHedgerowAlreadyTried() {
        try (FakeOpenAi a = FakeOpenAi.start(); FakeOpenAi b = FakeOpenAi.start()) {
            // Both rate-limited, asking for a short wait: Hedgerow waits it out once on each, then gives up.
            Reply limited = Reply.status(429).header("retry-after-ms", "50");
            a.otherwise(limited);
            b.otherwise(limited);
            try (HedgerowServer router = HedgerowServer.start(TestConfig.builder()
                                                                       .openAi("a", a.baseUrl())
                                                                       .openAi("b", b.baseUrl())
                                                                       .route("chat", "a/m", "b/m")
                                                                       .build())) {
                // The SDK's default: two retries.
                OpenAIClient client = OpenAIOkHttpClient.builder()
                        .baseUrl("http://127.0.0.1:" + router.port() + "/v1").apiKey("test")
                        .timeout(Duration.ofSeconds(30)).build();
                RateLimitException e = assertThrows(RateLimitException.class, () -> client.chat().completions()
                        .create(ChatCompletionCreateParams.builder().model("chat").addUserMessage("hi").build()));

                // Every upstream call is one of the chain's attempts that the answer lists: none from a repeat.
                String attempts = e.headers().values("x-hedgerow-attempts").getFirst();
                assertThat(attempts, a.requestCount() + b.requestCount(), is(attempts.split(", ").length));
                assertThat(e.headers().values("x-should-retry"), is(java.util.List.of("false")));
                client.close();
            }
        }
    }
}
