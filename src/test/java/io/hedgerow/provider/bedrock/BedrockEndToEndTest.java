package io.hedgerow.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeBedrock;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * A route through the router to Bedrock, as an OpenAI client sees it: a tool call answered, and a ConverseStream
 * relayed as OpenAI chunks; a throttled Bedrock falls back to the next candidate.
 */
class BedrockEndToEndTest {
    private static final String MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

    @Test
    void openAiClientsGetBedrockAnswersStreamsAndFallbacks() throws Exception {
        try (FakeBedrock fake = FakeBedrock.withApiKey(TestConfig.defaultKey("aws"))) {
            HedgerowServer router = HedgerowServer.start(TestConfig.builder()
                                                                 .bedrock("aws", fake.baseUrl().toString(), "us-east-1")
                                                                 .sim("backup")
                                                                 .route("claude", "aws/" + MODEL, "backup/sim-1")
                                                                 .build());
            try (RawClient client = new RawClient(router.port())) {
                fake.enqueue(FakeBedrock.answer().toolUse("tooluse_1", "get_weather", "{\"city\":\"Oslo\"}"));
                HttpResponse<String> response = client.chat("""
                        {"model":"claude","messages":[{"role":"user","content":"Weather in Oslo?"}],
                         "tools":[{"type":"function","function":{"name":"get_weather",
                           "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}""");
                assertThat(response.body(), response.statusCode(), is(200));
                JsonNode choice = RawClient.json(response).path("choices").get(0);
                assertThat(choice.path("finish_reason").asText(), is("tool_calls"));
                JsonNode call = choice.path("message").path("tool_calls").get(0);
                assertThat(call.path("id").asText(), is("tooluse_1"));
                assertThat(call.path("function").path("arguments").asText(), is("{\"city\":\"Oslo\"}"));
                assertThat(fake.lastRequest().modelId().orElseThrow(), is(MODEL));

                fake.enqueue(FakeBedrock.answer().text("Streamed from Bedrock."));
                RawClient.SseStream stream = client.chatStream("""
                        {"model":"claude","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");
                assertThat(stream.raw(), stream.status(), is(200));
                assertThat(stream.done(), is(true));
                StringBuilder text = new StringBuilder();
                for (String data : stream.data()) {
                    if (!data.equals("[DONE]")) {
                        text.append(RawClient.json(data).path("choices").path(0).path("delta").path("content")
                                            .asText(""));
                    }
                }
                assertThat(text.toString(), is("Streamed from Bedrock."));

                fake.enqueue(FakeBedrock.error(429, "ThrottlingException", "Too many requests, please wait."));
                HttpResponse<String> fallback = client.chat("""
                        {"model":"claude","messages":[{"role":"user","content":"Hi"}]}""");
                assertThat(fallback.body(), fallback.statusCode(), is(200));
                assertThat(fallback.headers().firstValue("x-hedgerow-attempts").orElse(""),
                           containsString("429 rate limited"));
            } finally {
                router.close();
            }
        }
    }
}
