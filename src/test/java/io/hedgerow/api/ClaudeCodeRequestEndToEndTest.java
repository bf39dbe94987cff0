package io.hedgerow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.HedgerowServer;
import io.hedgerow.fakes.FakeAnthropic;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.json.Json;
import io.hedgerow.testing.Inbound;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.hedgerow.fakes.FakeOpenAi.call;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request shaped like Claude Code's (system blocks with {@code cache_control}, twenty tools, thinking, beta
 * headers, a long tool-use history with thinking signatures, fields Hedgerow does not know): routed to Anthropic it
 * arrives byte for byte as sent but for the model; routed to an OpenAI-compatible provider it is translated, and the
 * tool calls streamed back are valid {@code tool_use} blocks.
 */
class ClaudeCodeRequestEndToEndTest {
    private static final String BETAS = "claude-code-20250219,interleaved-thinking-2025-05-14,"
            + "fine-grained-tool-streaming-2025-05-14,oauth-2025-04-20";

    private static FakeAnthropic claude;
    private static FakeOpenAi openai;
    private static HedgerowServer router;
    private static RawClient raw;

    @BeforeAll
    static void start() {
        claude = FakeAnthropic.start();
        openai = FakeOpenAi.start();
        router = HedgerowServer.start(TestConfig.builder()
                                              .anthropic("anthropic", claude.baseUrl().toString())
                                              .openAi("openai", openai.baseUrl())
                                              .route("sonnet", "anthropic/claude-sonnet-up")
                                              .route("elsewhere", "openai/kimi-up")
                                              .build());
        raw = new RawClient(router.port());
    }

    @AfterAll
    static void stop() {
        raw.close();
        router.close();
        claude.close();
        openai.close();
    }

    /** The request as Claude Code would write it, pretty-printed with escapes and exact decimals to keep. */
    private static String claudeCodeRequest(String model) {
        ObjectNode root = Json.object();
        root.put("model", model);
        root.put("max_tokens", 32000);
        ArrayNode system = root.putArray("system");
        system.addObject().put("type", "text").put("text", "You are Claude Code, Anthropic's official CLI for Claude.")
                .putObject("cache_control").put("type", "ephemeral");
        system.addObject().put("type", "text").put("text", "Follow the repository's conventions. Caf\u00e9 \u2014 ok.")
                .putObject("cache_control").put("type", "ephemeral").put("ttl", "1h");
        ArrayNode tools = root.putArray("tools");
        for (int i = 0; i < 20; i++) {
            ObjectNode tool = tools.addObject().put("name", "Tool_" + i).put("description", "Tool number " + i);
            ObjectNode schema = tool.putObject("input_schema").put("type", "object");
            schema.putObject("properties").putObject("path").put("type", "string");
            schema.putArray("required").add("path");
            if (i == 19) {
                tool.putObject("cache_control").put("type", "ephemeral");
            }
        }
        ArrayNode messages = root.putArray("messages");
        messages.addObject().put("role", "user").put("content", "Fix the failing test, please.");
        for (int turn = 0; turn < 12; turn++) {
            ObjectNode assistant = messages.addObject().put("role", "assistant");
            ArrayNode content = assistant.putArray("content");
            content.addObject().put("type", "thinking").put("thinking", "Step " + turn + ": read the file.")
                    .put("signature", "EqQBCkYIBxgCKkB" + turn + "sig==");
            content.addObject().put("type", "text").put("text", "Reading file " + turn + ".");
            ObjectNode use = content.addObject().put("type", "tool_use").put("id", "toolu_01" + turn)
                    .put("name", "Tool_" + (turn % 20));
            use.putObject("input").put("path", "src/File" + turn + ".java").put("limit", new java.math.BigDecimal("1.10"));
            ObjectNode user = messages.addObject().put("role", "user");
            ObjectNode result = user.putArray("content").addObject().put("type", "tool_result")
                    .put("tool_use_id", "toolu_01" + turn).put("content", "line 1\nline 2 of file " + turn);
            if (turn == 11) {
                result.putObject("cache_control").put("type", "ephemeral");
            }
        }
        messages.addObject().put("role", "user").put("content", "Now run the tests.");
        root.putObject("thinking").put("type", "enabled").put("budget_tokens", 10000);
        root.putObject("metadata").put("user_id", "user_abc_account_123_session_456");
        root.put("stream", true);
        root.putObject("context_management").putArray("edits").addObject().put("type", "clear_tool_uses_20250919");
        try {
            // Pretty-printed, with escaped non-ASCII: whatever the client wrote is what Anthropic must receive.
            return Json.MAPPER.writer().with(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII)
                    .withDefaultPrettyPrinter().writeValueAsString(root);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void toAnthropicTheRequestArrivesAsSentButForTheModel() {
        claude.enqueue(FakeAnthropic.answer().thenThinking("Run them.").toolUse("toolu_99", "Tool_3",
                                                                               "{\"path\":\"pom.xml\"}"));
        String body = claudeCodeRequest("sonnet");
        assertThat(body, containsString("\\u00E9"));

        HttpResponse<String> response = post(body);
        RawClient.SseStream stream = new RawClient.SseStream(response.statusCode(), response.headers(),
                                                             RawClient.SseStream.parse(response.body()),
                                                             response.body(), Inbound.MESSAGES);

        assertEquals(200, stream.status(), stream.raw());
        FakeAnthropic.Received received = claude.lastRequest();
        assertEquals(body.replace("\"model\" : \"sonnet\"", "\"model\" : \"claude-sonnet-up\""), received.rawBody());
        // The allow-listed betas go on, the credential-related one does not, and the version is the router's.
        assertEquals(Optional.of("claude-code-20250219,interleaved-thinking-2025-05-14,"
                                         + "fine-grained-tool-streaming-2025-05-14"), received.header("anthropic-beta"));
        assertEquals(Optional.of("2023-06-01"), received.header("anthropic-version"));
        assertEquals(Optional.of(TestConfig.defaultKey("anthropic")), received.header("x-api-key"));
        // The client's own credential stays here.
        assertEquals(Optional.empty(), received.header("authorization"));
        assertEquals(Optional.of("oauth-2025-04-20"), stream.header("x-hedgerow-dropped-betas"));
        // The answer comes back as Anthropic produced it: its message id, its thinking signature.
        assertThat(stream.raw(), containsString("\"id\":\"msg_fake_"));
        assertThat(stream.raw(), containsString("\"signature\":\"sig-fake\""));
        assertThat(stream.toolArguments(), is("{\"path\":\"pom.xml\"}"));
        assertTrue(stream.done(), stream.raw());
    }

    /** Claude Code's path ({@code ?beta=true}) and headers, its credential a bearer token (ANTHROPIC_AUTH_TOKEN). */
    private static HttpResponse<String> post(String path, String body) {
        return raw.post(path, body, Map.of("anthropic-beta", BETAS, "anthropic-version", "2023-06-01",
                                           "authorization", "Bearer sk-ant-oat01-client-token",
                                           "anthropic-dangerous-direct-browser-access", "true",
                                           "x-app", "cli", "user-agent", "claude-cli/2.0.14 (external, cli)",
                                           "x-stainless-lang", "js", "x-stainless-retry-count", "0",
                                           "x-stainless-timeout", "600"));
    }

    private static HttpResponse<String> post(String body) {
        return post("/v1/messages?beta=true", body);
    }

    @Test
    void tokenCountsAreAskedForOnClaudeCodesPathToo() {
        claude.tokenCount(4321);
        ObjectNode count = (ObjectNode) RawClient.json(claudeCodeRequest("sonnet"));
        count.remove(List.of("max_tokens", "stream", "metadata"));

        HttpResponse<String> response = post("/v1/messages/count_tokens?beta=true", count.toString());

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(4321, RawClient.json(response).path("input_tokens").asInt());
        assertEquals(Optional.of("upstream"), response.headers().firstValue("x-hedgerow-token-count"));
        FakeAnthropic.Received received = claude.countRequests().getLast();
        assertEquals("claude-sonnet-up", received.body().path("model").asText());
        assertEquals(Optional.empty(), received.header("authorization"));
    }

    @Test
    void toAnOpenAiProviderItIsTranslatedAndItsStreamedToolCallsComeBackAsToolUseBlocks() {
        openai.enqueue(Reply.toolCalls(call("functions.Tool_3:0", "Tool_3", "{\"pa", "th\": \"pom", ".xml\"}"),
                                       call("functions.Tool_5:1", "Tool_5", "{\"path\":", " \"README.md\"}")));

        HttpResponse<String> response = post(claudeCodeRequest("elsewhere"));

        assertEquals(200, response.statusCode(), response.body());
        JsonNode sent = openai.exchanges().getLast().body();
        assertEquals("kimi-up", sent.path("model").asText());
        assertEquals(20, sent.path("tools").size());
        assertEquals("system", sent.at("/messages/0/role").asText());
        // Twelve assistant turns with a tool call each, each answered by a tool message with the matching id.
        List<String> roles = new ArrayList<>();
        sent.path("messages").forEach(m -> roles.add(m.path("role").asText()));
        assertEquals(12, roles.stream().filter("tool"::equals).count());
        // two system messages, the first user turn, then an assistant turn and its tool result per step
        assertEquals("toolu_0111", sent.at("/messages/25/tool_calls/0/id").asText(), sent.toString());
        assertEquals("toolu_0111", sent.at("/messages/26/tool_call_id").asText(), sent.toString());
        assertThat(sent.toString(), not(containsString("cache_control")));
        assertThat(sent.toString(), not(containsString("signature")));

        RawClient.SseStream stream = new RawClient.SseStream(response.statusCode(), response.headers(),
                                                             RawClient.SseStream.parse(response.body()),
                                                             response.body(), Inbound.MESSAGES);
        assertTrue(stream.done(), stream.raw());
        List<JsonNode> blocks = new ArrayList<>();
        Map<Integer, StringBuilder> inputs = new java.util.TreeMap<>();
        int open = -1;
        for (JsonNode event : stream.chunks()) {
            switch (event.path("type").asText()) {
            case "content_block_start" -> {
                assertEquals(-1, open, "blocks do not overlap");
                open = event.path("index").asInt();
                blocks.add(event.path("content_block"));
                inputs.put(open, new StringBuilder());
            }
            case "content_block_delta" -> {
                assertEquals(open, event.path("index").asInt());
                inputs.get(open).append(event.at("/delta/partial_json").asText(""));
            }
            case "content_block_stop" -> {
                assertEquals(open, event.path("index").asInt());
                open = -1;
            }
            default -> {
            }
            }
        }
        assertEquals(2, blocks.size(), stream.raw());
        for (int i = 0; i < 2; i++) {
            assertEquals("tool_use", blocks.get(i).path("type").asText());
            assertTrue(blocks.get(i).path("id").asText().matches("[a-zA-Z0-9_-]+"), blocks.get(i).toString());
            assertTrue(RawClient.json(inputs.get(i).toString()).isObject(), inputs.get(i).toString());
        }
        assertEquals("Tool_3", blocks.get(0).path("name").asText());
        assertEquals("pom.xml", RawClient.json(inputs.get(0).toString()).path("path").asText());
        assertEquals("README.md", RawClient.json(inputs.get(1).toString()).path("path").asText());
        assertEquals(List.of("tool_use"), stream.finishReasons());

        // The next turn returns those calls and their results: the provider gets its own ids back.
        ObjectNode next = (ObjectNode) RawClient.json(claudeCodeRequest("elsewhere"));
        ArrayNode turns = (ArrayNode) next.get("messages");
        ArrayNode uses = turns.addObject().put("role", "assistant").putArray("content");
        ArrayNode results = turns.addObject().put("role", "user").putArray("content");
        for (int i = 0; i < 2; i++) {
            ObjectNode use = uses.addObject().put("type", "tool_use").put("id", blocks.get(i).path("id").asText())
                    .put("name", blocks.get(i).path("name").asText());
            use.set("input", RawClient.json(inputs.get(i).toString()));
            results.addObject().put("type", "tool_result").put("tool_use_id", blocks.get(i).path("id").asText())
                    .put("content", "ok " + i);
        }
        openai.enqueue(Reply.text("Both read."));
        HttpResponse<String> again = post(next.toString());
        assertEquals(200, again.statusCode(), again.body());
        JsonNode resent = openai.exchanges().getLast().body();
        int last = resent.path("messages").size() - 1;
        assertEquals("functions.Tool_3:0", resent.at("/messages/" + (last - 2) + "/tool_calls/0/id").asText(),
                     resent.toString());
        assertEquals("functions.Tool_5:1", resent.at("/messages/" + (last - 2) + "/tool_calls/1/id").asText());
        assertEquals("functions.Tool_3:0", resent.at("/messages/" + (last - 1) + "/tool_call_id").asText());
        assertEquals("functions.Tool_5:1", resent.at("/messages/" + last + "/tool_call_id").asText());
    }
}
