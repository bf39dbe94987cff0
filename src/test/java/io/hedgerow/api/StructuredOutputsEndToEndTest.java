package io.hedgerow.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.StructuredChatCompletion;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.StructuredResponse;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeBedrock;
import io.hedgerow.fakes.FakeOllama;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.fakes.SchemaInstance;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.SdkClients;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Structured outputs honoured on every provider type, through the OpenAI SDK's {@code parse()} helpers
 * ({@code responseFormat(Class)} for Chat Completions, {@code text(Class)} for the Responses API): passed through to
 * OpenAI-compatible providers, Anthropic's JSON outputs for a strict schema and a forced tool otherwise, Ollama's
 * {@code format}, a forced tool on Bedrock, the simulator's own. Each fake answers with JSON of the schema only when
 * the request carried the schema in its own dialect's way (else prose, which {@code parse()} would choke on). And what
 * a candidate cannot honour is refused for it, never silently dropped.
 */
class StructuredOutputsEndToEndTest {
    private static FakeOpenAi compat;
    private static FakeOpenAi native_;
    private static FakeAnthropic claude;
    private static FakeOllama ollama;
    private static FakeBedrock bedrock;
    private static HedgerowServer router;
    private static OpenAIClient client;

    /** The answer's shape, as a program parsing it declares it. */
    public static final class Weather {
        @JsonProperty("city")
        public String city;
        @JsonProperty("temperature")
        public long temperature;
        @JsonProperty("sunny")
        public boolean sunny;
        @JsonProperty("notes")
        public List<String> notes;
    }

    @BeforeAll
    static void start() {
        compat = FakeOpenAi.start().otherwise(Reply.structured());
        native_ = FakeOpenAi.start().otherwise(Reply.structured());
        claude = FakeAnthropic.start().otherwise(FakeAnthropic.structured());
        ollama = FakeOllama.start().structuredAnswers(true);
        bedrock = FakeBedrock.withApiKey(TestConfig.defaultKey("aws"));
        router = HedgerowServer.start(TestConfig.builder()
                .openAi("compat", compat.baseUrl())
                .openAi("openai", native_.baseUrl(), p -> p.responses())
                .anthropic("claude", claude.baseUrl().toString())
                .ollama("ollama", ollama.baseUrl().toString())
                .bedrock("aws", bedrock.baseUrl().toString(), "us-east-1")
                .sim("sim")
                .route("compat", "compat/m")
                .route("native", "openai/m")
                .route("claude", "claude/claude-x")
                .route("ollama", "ollama/llama3")
                .route("bedrock", "aws/anthropic.claude-x")
                .route("sim", "sim/s")
                .route("claude-then-compat", "claude/claude-x", "compat/m")
                .build());
        client = SdkClients.openAi(router.port());
    }

    @AfterAll
    static void stop() {
        client.close();
        router.close();
        compat.close();
        native_.close();
        claude.close();
        ollama.close();
        bedrock.close();
    }

    @BeforeEach
    void reset() {
        compat.reset();
        compat.otherwise(Reply.structured());
    }

    @Test
    void chatCompletionsParseOnEveryProviderType() {
        for (String route : List.of("compat", "claude", "ollama", "sim")) {
            Weather weather = parseChat(route);
            boolean sim = route.equals("sim");
            assertEquals(sim ? "sim" : "x", weather.city, route);
            assertEquals(sim ? 1 : 7, weather.temperature, route);
            assertTrue(weather.sunny, route);
            assertEquals(List.of(sim ? "sim" : "x"), weather.notes, route);
        }
        JsonNode toCompat = compat.onlyExchange().body().get("response_format");
        assertEquals("json_schema", toCompat.path("type").asText());
        assertTrue(toCompat.at("/json_schema/strict").asBoolean());
        // The SDK's schemas are strict: Anthropic gets them as JSON outputs, constrained to the schema.
        JsonNode toClaude = claude.lastRequest().body();
        assertEquals("json_schema", toClaude.at("/output_config/format/type").asText());
        assertTrue(toClaude.at("/output_config/format/schema/properties").has("city"));
        assertFalse(toClaude.has("tools"));
        assertTrue(ollama.lastReceived().body().path("format").path("properties").has("sunny"));
    }

    @Test
    void bedrockHonoursTheFormatThroughAForcedTool() {
        JsonNode schema = RawClient.json("""
                {"type":"object","properties":{"city":{"type":"string"},"temperature":{"type":"integer"},
                 "sunny":{"type":"boolean"},"notes":{"type":"array","items":{"type":"string"}}},
                 "required":["city","temperature","sunny","notes"],"additionalProperties":false}""");
        bedrock.enqueue(FakeBedrock.answer().toolUse("t1", "json_answer", SchemaInstance.of(schema)));
        Weather weather = parseChat("bedrock");
        assertEquals("x", weather.city);
        JsonNode toolConfig = bedrock.lastRequest().json().get("toolConfig");
        assertEquals("json_answer", toolConfig.at("/toolChoice/tool/name").asText());
        assertEquals("json_answer", toolConfig.at("/tools/0/toolSpec/name").asText());
        assertTrue(toolConfig.at("/tools/0/toolSpec/inputSchema/json/properties").has("notes"));
    }

    @Test
    void theResponsesApiParsesTranslatedAndAsWritten() {
        bedrock.enqueue(FakeBedrock.answer().toolUse("t2", "json_answer", """
                {"city":"x","temperature":7,"sunny":true,"notes":["x"]}"""));
        for (String route : List.of("claude", "native", "compat", "ollama", "bedrock", "sim")) {
            StructuredResponse<Weather> response = client.responses().create(ResponseCreateParams.builder()
                    .model(route).input("Weather in Paris?").text(Weather.class).build());
            Weather weather = response.output().stream().flatMap(o -> o.message().stream())
                    .flatMap(m -> m.content().stream()).flatMap(c -> c.outputText().stream()).findFirst()
                    .orElseThrow();
            assertEquals(route.equals("sim") ? "sim" : "x", weather.city, route);
            assertEquals(route.equals("sim") ? 1 : 7, weather.temperature, route);
        }
        assertTrue(ollama.lastReceived().body().path("format").path("properties").has("city"));
        assertEquals("json_answer", bedrock.lastRequest().json().at("/toolConfig/toolChoice/tool/name").asText());
        assertEquals("json_schema", native_.onlyExchange().body().at("/text/format/type").asText(),
                     "a Responses upstream gets text.format as written");
        assertEquals("json_schema", compat.onlyExchange().body().at("/response_format/type").asText(),
                     "a chat upstream gets it as response_format");
    }

    @Test
    void jsonObjectAndLooseSchemasReachAnthropicAsAForcedToolAndComeBackAsText() {
        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> whole = raw.chat("""
                    {"model":"claude","messages":[{"role":"user","content":"JSON please"}],
                     "response_format":{"type":"json_object"}}""");
            assertEquals(200, whole.statusCode(), whole.body());
            JsonNode choice = RawClient.json(whole).at("/choices/0");
            assertEquals("{\"answer\":\"x\"}", choice.at("/message/content").asText());
            assertFalse(choice.path("message").has("tool_calls"));
            assertEquals("stop", choice.path("finish_reason").asText());
            JsonNode sent = claude.lastRequest().body();
            assertEquals("json_answer", sent.at("/tool_choice/name").asText());
            assertEquals("object", sent.at("/tools/0/input_schema/type").asText());

            RawClient.SseStream stream = raw.chatStream("""
                    {"model":"claude","stream":true,"messages":[{"role":"user","content":"Weather?"}],
                     "response_format":{"type":"json_schema","json_schema":{"name":"w","strict":false,
                      "schema":{"type":"object","properties":{"city":{"type":"string"}}}}}}""");
            assertEquals(200, stream.status(), stream.raw());
            assertEquals("{\"city\":\"x\"}", stream.text());
            assertTrue(stream.done());
        }
    }

    @Test
    void whatACandidateCannotHonourIsRefusedForItNeverDropped() {
        try (RawClient raw = new RawClient(router.port())) {
            String logprobs = """
                    {"model":"ROUTE","messages":[{"role":"user","content":"Hi"}],"logprobs":true,"top_logprobs":2}""";
            HttpResponse<String> refused = raw.chat(logprobs.replace("ROUTE", "claude"));
            assertEquals(400, refused.statusCode());
            assertEquals("unsupported_by_route", RawClient.json(refused).at("/error/code").asText());
            assertTrue(RawClient.json(refused).at("/error/message").asText()
                               .contains("claude/claude-x (claude cannot honour logprobs"));

            compat.otherwise(Reply.text("With logprobs"));
            HttpResponse<String> served = raw.chat(logprobs.replace("ROUTE", "claude-then-compat"));
            assertEquals(200, served.statusCode(), served.body());
            assertEquals(Optional.of("compat"), served.headers().firstValue("x-hedgerow-provider"));
            assertTrue(served.headers().firstValue("x-hedgerow-attempts").orElseThrow()
                               .startsWith("claude/claude-x#main:skipped (claude cannot honour logprobs"));

            // Ollama cannot force a call: a named function is the only tool it is offered (docs/providers.md).
            HttpResponse<String> named = raw.chat("""
                    {"model":"ollama","messages":[{"role":"user","content":"Hi"}],
                     "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}},
                              {"type":"function","function":{"name":"g","parameters":{"type":"object"}}}],
                     "tool_choice":{"type":"function","function":{"name":"g"}}}""");
            assertEquals(200, named.statusCode(), named.body());
            JsonNode offered = ollama.lastReceived().body().get("tools");
            assertEquals(1, offered.size(), offered.toString());
            assertEquals("g", offered.at("/0/function/name").asText());
        }
    }

    private static Weather parseChat(String route) {
        StructuredChatCompletion<Weather> completion = client.chat().completions().create(
                ChatCompletionCreateParams.builder().model(route).addUserMessage("Weather in Paris?")
                        .responseFormat(Weather.class).build());
        return completion.choices().getFirst().message().content().orElseThrow();
    }
}
