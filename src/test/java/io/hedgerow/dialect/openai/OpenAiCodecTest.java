package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.Usage;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;
import io.hedgerow.json.Json;
import io.hedgerow.dialect.InvalidRequestException;

class OpenAiCodecTest {
    private static final String CONVERSATION = """
            {"model": "smart", "stream": true, "stream_options": {"include_usage": true},
             "temperature": 0.2, "max_tokens": 100, "stop": "END", "seed": 7, "response_format": {"type": "text"},
             "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
                        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
             "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
             "messages": [
               {"role": "developer", "content": "Be brief."},
               {"role": "user", "content": [{"type": "text", "text": "Weather in "},
                                            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA", "detail": "low"}}]},
               {"role": "assistant", "content": null, "tool_calls": [
                   {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}}]},
               {"role": "tool", "tool_call_id": "call_1", "content": "18C"}
             ]}""";

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    @Test
    void parsesAFullConversation() throws Exception {
        ChatRequest request = OpenAiRequestCodec.parse(json(CONVERSATION));
        assertThat(request.model(), is("smart"));
        assertThat(request.stream(), is(true));
        assertThat(request.includeUsage(), is(true));
        assertThat(request.sampling().temperature(), is(Optional.of(0.2)));
        assertThat(request.sampling().maxTokens(), is(Optional.of(100)));
        assertThat(request.sampling().stop(), is(List.of("END")));
        assertThat(request.passthrough(), is(Map.of("seed", 7, "response_format", Map.of("type", "text"))));
        assertThat(request.toolChoice(), is(Optional.of(new ToolChoice.Function("get_weather"))));
        assertThat(request.tools().getFirst().name(), is("get_weather"));
        assertThat(request.messages().get(0).role(), is(Role.DEVELOPER));
        assertThat(request.messages().get(1).content(), is(List.of(new ContentPart.Text("Weather in "),
                new ContentPart.Image("data:image/png;base64,AAA", "low"))));
        assertThat(request.messages().get(2).toolCalls(),
                   is(List.of(new ToolCall("call_1", "get_weather", "{\"city\": \"Paris\"}"))));
        assertThat(request.messages().get(3).toolCallId(), is(Optional.of("call_1")));
    }

    @Test
    void writesWhatItParsedForAnOpenAiUpstream() throws Exception {
        ChatRequest request = OpenAiRequestCodec.parse(json(CONVERSATION));
        JsonNode out = OpenAiRequestCodec.write(request, "gpt-4.1", true);
        JsonNode in = json(CONVERSATION);
        assertThat(out.get("model").asText(), is("gpt-4.1"));
        assertThat(out.get("messages"), is(in.get("messages")));
        assertThat(out.get("tools"), is(in.get("tools")));
        assertThat(out.get("tool_choice"), is(in.get("tool_choice")));
        assertThat(out.get("seed").asInt(), is(7));
        assertThat(out.get("stop"), is(json("[\"END\"]")));
        assertThat(out.get("stream_options").get("include_usage").asBoolean(), is(true));
        // Tool-call arguments are passed as the exact text, whitespace included.
        assertThat(out.at("/messages/2/tool_calls/0/function/arguments").asText(), is("{\"city\": \"Paris\"}"));
    }

    @Test
    void emptyToolArgumentsMeanNoArguments() throws Exception {
        ChatRequest request = OpenAiRequestCodec.parse(json("""
                {"model": "m", "messages": [{"role": "assistant", "tool_calls": [
                  {"id": "c1", "type": "function", "function": {"name": "now", "arguments": ""}}]}]}"""));
        assertThat(request.messages().getFirst().toolCalls(), is(List.of(new ToolCall("c1", "now", "{}"))));
    }

    @Test
    void rejectsInvalidRequestsNamingTheField() throws Exception {
        record Case(String body, String param) { }
        List<Case> cases = List.of(
                new Case("{\"messages\": [{\"role\":\"user\",\"content\":\"x\"}]}", "model"),
                new Case("{\"model\": \"m\"}", "messages"),
                new Case("{\"model\": \"m\", \"messages\": \"hi\"}", "messages"),
                new Case("{\"model\": \"m\", \"messages\": []}", "messages"),
                new Case("{\"model\": 3, \"messages\": [{\"role\":\"user\",\"content\":\"x\"}]}", "model"),
                new Case("{\"model\": \"m\", \"messages\": [{\"role\":\"wizard\",\"content\":\"x\"}]}", "messages[0].role"),
                new Case("{\"model\": \"m\", \"messages\": [{\"role\":\"tool\",\"content\":\"x\"}]}",
                         "messages[0].tool_call_id"),
                new Case("{\"model\": \"m\", \"temperature\": \"hot\", \"messages\": [{\"role\":\"user\",\"content\":\"x\"}]}",
                         "temperature"),
                new Case("{\"model\": \"m\", \"n\": 3, \"messages\": [{\"role\":\"user\",\"content\":\"x\"}]}", "n"),
                new Case("{\"model\": \"m\", \"tool_choice\": \"sometimes\", \"messages\": [{\"role\":\"user\",\"content\":\"x\"}]}",
                         "tool_choice"),
                new Case("{\"model\": \"m\", \"messages\": [{\"role\":\"user\",\"content\":[{\"type\":\"audio\"}]}]}",
                         "messages[0].content[0].type"));
        for (Case c : cases) {
            InvalidRequestException e = assertThrows(InvalidRequestException.class,
                                                      () -> OpenAiRequestCodec.parse(json(c.body())), c.body());
            assertThat(c.body(), e.param(), is(Optional.of(c.param())));
        }
    }

    @Test
    void parsesAnswersAndChunks() throws Exception {
        ChatResponse response = OpenAiResponseCodec.parse(json("""
                {"id":"x","model":"gpt-4.1-2025","choices":[{"index":0,"message":{"role":"assistant","content":null,
                 "tool_calls":[{"id":"call_9","type":"function","function":{"name":"f","arguments":"{}"}}]},
                 "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"""),
                "fallback");
        assertThat(response.model(), is("gpt-4.1-2025"));
        assertThat(response.message().toolCalls(), is(List.of(new ToolCall("call_9", "f", "{}"))));
        assertThat(response.message().content(), is(List.of()));
        assertThat(response.finishReason(), is(FinishReason.TOOL_CALLS));
        assertThat(response.usage(), is(Optional.of(new Usage(5, 3))));

        assertThat(OpenAiResponseCodec.parseChunk(json("""
                {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"c","type":"function",
                 "function":{"name":"g","arguments":"{\\"a"}}]},"finish_reason":null}]}""")),
                   is(List.of(new StreamEvent.ToolCallDelta(1, Optional.of("c"), Optional.of("g"), "{\"a"))));
        assertThat(OpenAiResponseCodec.parseChunk(json("""
                {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":1,"completion_tokens":2}}""")),
                   is(List.of(new StreamEvent.TextDelta("hi"), new StreamEvent.Finished(FinishReason.STOP),
                              new StreamEvent.UsageReported(new Usage(1, 2)))));
        assertThrows(OpenAiResponseCodec.MalformedResponseException.class,
                     () -> OpenAiResponseCodec.parse(json("{\"choices\": []}"), "m"));
    }

    @Test
    void whatClientsReadBesideTheMessageSurvivesParseAndWrite() throws Exception {
        JsonNode upstream = json("""
                {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4.1-2025-04-14",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null,
                                                  "reasoning_content":"Greet back.","annotations":[]},
                             "logprobs":{"content":[{"token":"Hi","logprob":-3.1e-6,"bytes":[72,105],
                                                     "top_logprobs":[{"token":"Hi","logprob":-3.1e-6,"bytes":null}]}],
                                         "refusal":null},
                             "finish_reason":"stop"}],
                 "usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25,
                          "prompt_tokens_details":{"cached_tokens":16,"audio_tokens":0},
                          "completion_tokens_details":{"reasoning_tokens":3,"audio_tokens":0}},
                 "service_tier":"default","system_fingerprint":"fp_1"}""");

        ChatResponse response = OpenAiResponseCodec.parse(upstream, "configured");
        JsonNode out = OpenAiResponseCodec.write(response, "chatcmpl-x", 2);

        assertThat(response.usage(), is(Optional.of(new Usage(20, 5, Optional.of(16), Optional.of(3)))));
        assertThat(out.get("model").asText(), is("gpt-4.1-2025-04-14"));
        assertThat(out.at("/choices/0/message/content").asText(), is("Hi"));
        assertThat(out.at("/choices/0/message/reasoning_content").asText(), is("Greet back."));
        assertThat(out.at("/choices/0/message/refusal").isNull(), is(true));
        assertThat(out.at("/choices/0/logprobs"), is(upstream.at("/choices/0/logprobs")));
        assertThat(out.get("usage"), is(json("""
                {"prompt_tokens":20,"completion_tokens":5,"total_tokens":25,
                 "prompt_tokens_details":{"cached_tokens":16},"completion_tokens_details":{"reasoning_tokens":3}}""")));
        assertThat(out.get("system_fingerprint").asText(), is("fp_1"));
        assertThat(out.get("service_tier").asText(), is("default"));
    }

    @Test
    void refusalsOpenRouterReasoningAndDeepSeekCacheHitsAreRead() throws Exception {
        ChatResponse refused = OpenAiResponseCodec.parse(json("""
                {"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,
                 "refusal":"I can't help with that."},"logprobs":null,"finish_reason":"stop"}]}"""), "m");
        JsonNode out = OpenAiResponseCodec.write(refused, "chatcmpl-x", 2);
        assertThat(out.at("/choices/0/message/content").isNull(), is(true));
        assertThat(out.at("/choices/0/message/refusal").asText(), is("I can't help with that."));
        assertThat(out.at("/choices/0/logprobs").isNull(), is(true));
        assertThat(out.has("system_fingerprint"), is(false));
        assertThat(out.at("/choices/0/message").has("reasoning_content"), is(false));

        ChatResponse openRouter = OpenAiResponseCodec.parse(json("""
                {"model":"deepseek/deepseek-r1","choices":[{"index":0,"message":{"role":"assistant","content":"4",
                 "reasoning":"2 + 2 = 4"},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":9,"completion_tokens":7,"prompt_cache_hit_tokens":8,
                          "prompt_cache_miss_tokens":1}}"""), "m");
        assertThat(openRouter.reasoning(), is(Optional.of("2 + 2 = 4")));
        assertThat(openRouter.usage(), is(Optional.of(new Usage(9, 7, Optional.of(8), Optional.empty()))));
        assertThat(OpenAiResponseCodec.write(openRouter, "c", 2).at("/choices/0/message/reasoning_content").asText(),
                   is("2 + 2 = 4"));
        // Without details the usage says nothing about them: no made-up zeros.
        assertThat(OpenAiResponseCodec.writeUsage(new Usage(1, 2)), is(json("""
                {"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}""")));
    }

    @Test
    void chunksKeepReasoningRefusalLogprobsAndTheirEnvelope() throws Exception {
        JsonNode first = json("""
                {"id":"c","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner-0528",
                 "system_fingerprint":"fp_9","service_tier":"flex",
                 "choices":[{"index":0,"delta":{"content":null,"reasoning_content":"Think"},"finish_reason":null}]}""");
        assertThat(OpenAiResponseCodec.metadata(first), is(Optional.of(new StreamEvent.Metadata(
                "deepseek-reasoner-0528", Optional.of("fp_9"), Optional.of("flex")))));
        assertThat(OpenAiResponseCodec.parseChunk(first), is(List.of(new StreamEvent.ReasoningDelta("Think"))));
        assertThat(OpenAiResponseCodec.parseChunk(json("""
                {"choices":[{"index":0,"delta":{"reasoning":"ing"},"finish_reason":null}]}""")),
                   is(List.of(new StreamEvent.ReasoningDelta("ing"))));

        JsonNode logprobs = json("""
                {"content":[{"token":"Hi","logprob":-0.25,"bytes":[72,105],"top_logprobs":[]}],"refusal":null}""");
        List<StreamEvent> text = OpenAiResponseCodec.parseChunk(json("""
                {"choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":%s,"finish_reason":null}]}"""
                                                                         .formatted(logprobs)));
        assertThat(text, is(List.of(new StreamEvent.TextDelta("Hi", Optional.of(Json.toMap(logprobs))))));
        List<StreamEvent> refusal = OpenAiResponseCodec.parseChunk(json("""
                {"choices":[{"index":0,"delta":{"refusal":"No."},"logprobs":null,"finish_reason":null}]}"""));
        assertThat(refusal, is(List.of(new StreamEvent.RefusalDelta("No.", Optional.empty()))));

        StreamEvent.Metadata origin = OpenAiResponseCodec.metadata(first).orElseThrow();
        ObjectNode chunk = OpenAiResponseCodec.deltaChunk("id", 5, origin, OpenAiResponseCodec.delta(text.getFirst()),
                                                          OpenAiResponseCodec.logprobs(text.getFirst()),
                                                          Optional.empty());
        assertThat(chunk.get("model").asText(), is("deepseek-reasoner-0528"));
        assertThat(chunk.get("system_fingerprint").asText(), is("fp_9"));
        assertThat(chunk.get("service_tier").asText(), is("flex"));
        assertThat(chunk.at("/choices/0/logprobs"), is(logprobs));
        assertThat(OpenAiResponseCodec.delta(new StreamEvent.ReasoningDelta("Think")),
                   is(json("{\"reasoning_content\":\"Think\"}")));
        assertThat(OpenAiResponseCodec.delta(refusal.getFirst()), is(json("{\"refusal\":\"No.\"}")));
    }
}
