package io.hedgerow.dialect.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolChoice;
import io.hedgerow.model.ToolDefinition;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Converse request and answer shapes the adapter test does not reach: turn merging, tool_choice none, limits. */
class ConverseCodecTest {
    private static final ToolDefinition TOOL = new ToolDefinition("lookup", "", Map.of());

    @Test
    void consecutiveTurnsOfOneRoleMergeAndEmptyTextIsDropped() throws DialectException {
        JsonNode body = ConverseCodec.request(request(List.of(
                Message.text(Role.USER, "one"), Message.text(Role.USER, ""), Message.text(Role.USER, "two"),
                Message.text(Role.DEVELOPER, "rules"), Message.text(Role.ASSISTANT, "ok")), List.of(), null));
        assertThat(body.path("messages").size(), is(2));
        assertThat(body.path("messages").get(0).path("content").size(), is(2));
        assertThat(body.path("system").get(0).path("text").asText(), is("rules"));
        assertThat(body.has("inferenceConfig"), is(false));
    }

    @Test
    void toolChoiceNoneLeavesTheToolsOutUnlessTheHistoryHasToolBlocks() throws DialectException {
        JsonNode fresh = ConverseCodec.request(request(List.of(Message.text(Role.USER, "hi")), List.of(TOOL),
                                                       new ToolChoice.None()));
        assertThat(fresh.has("toolConfig"), is(false));
        Message call = new Message(Role.ASSISTANT, List.of(), List.of(new ToolCall("t1", "lookup", "")),
                                   Optional.empty(), Optional.empty());
        Message result = new Message(Role.TOOL, List.of(new ContentPart.Text("42")), List.of(), Optional.of("t1"),
                                     Optional.empty());
        JsonNode later = ConverseCodec.request(request(List.of(Message.text(Role.USER, "hi"), call, result),
                                                       List.of(TOOL), new ToolChoice.None()));
        assertThat(later.path("toolConfig").path("tools").size(), is(1));
        assertThat(later.path("toolConfig").has("toolChoice"), is(false));
        // A tool without parameters still gets an object schema; empty arguments an empty input.
        assertThat(later.path("toolConfig").path("tools").get(0).path("toolSpec").path("inputSchema").path("json")
                           .path("type").asText(), is("object"));
        assertThat(later.path("messages").get(1).path("content").get(0).path("toolUse").path("input").isObject(),
                   is(true));
        JsonNode required = ConverseCodec.request(request(List.of(Message.text(Role.USER, "hi")), List.of(TOOL),
                                                          new ToolChoice.Required()));
        assertThat(required.path("toolConfig").path("toolChoice").has("any"), is(true));
    }

    @Test
    void imagesAndArgumentsThatCannotBeExpressedAreRequestErrors() {
        Message jpg = new Message(Role.USER, List.of(new ContentPart.Image("data:image/jpg;base64,/9j/", "")),
                                  List.of(), Optional.empty(), Optional.empty());
        Message svg = new Message(Role.USER, List.of(new ContentPart.Image("data:image/svg+xml;base64,PHN2", "")),
                                  List.of(), Optional.empty(), Optional.empty());
        Message badArgs = new Message(Role.ASSISTANT, List.of(), List.of(new ToolCall("t1", "lookup", "[1]")),
                                      Optional.empty(), Optional.empty());
        try {
            assertThat(ConverseCodec.request(request(List.of(jpg), List.of(), null)).path("messages").get(0)
                               .path("content").get(0).path("image").path("format").asText(), is("jpeg"));
        } catch (DialectException e) {
            throw new AssertionError(e);
        }
        assertThat(assertThrows(DialectException.class, () -> ConverseCodec.request(request(List.of(svg), List.of(),
                null))).failure().kind(), is(FailureKind.BAD_REQUEST));
        assertThat(assertThrows(DialectException.class, () -> ConverseCodec.request(request(List.of(badArgs),
                List.of(), null))).failure().kind(), is(FailureKind.BAD_REQUEST));
    }

    @Test
    void answersMapStopReasonsAndUsage() throws DialectException {
        ChatResponse response = ConverseCodec.response("""
                {"output":{"message":{"role":"assistant","content":[{"text":"cut"}]}},
                 "stopReason":"max_tokens",
                 "usage":{"inputTokens":10,"outputTokens":3,"cacheReadInputTokens":100,"cacheWriteInputTokens":5}}
                """.getBytes(StandardCharsets.UTF_8), "m");
        assertThat(response.finishReason(), is(FinishReason.LENGTH));
        assertThat(response.usage().orElseThrow().promptTokens(), is(115));
        assertThat(response.usage().orElseThrow().cachedTokens(), is(Optional.of(100)));
        assertThat(ConverseCodec.finishReason(Optional.of("guardrail_intervened")), is(FinishReason.CONTENT_FILTER));
        assertThat(assertThrows(DialectException.class, () -> ConverseCodec.response(
                "<html>".getBytes(StandardCharsets.UTF_8), "m")).failure().kind(), is(FailureKind.BAD_RESPONSE));
    }

    @Test
    void errorTypesByName() {
        assertThat(BedrockErrors.kind("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", ""),
                   is(Optional.of(FailureKind.RATE_LIMITED)));
        assertThat(BedrockErrors.kind("com.amazon.coral.validate#ValidationException",
                                      "prompt is too long: 250000 tokens > 200000 maximum"),
                   is(Optional.of(FailureKind.CONTEXT_LENGTH)));
        assertThat(BedrockErrors.kind("modelStreamErrorException", ""), is(Optional.of(FailureKind.SERVER_ERROR)));
        assertThat(BedrockErrors.kind("SomethingNew", ""), is(Optional.empty()));
    }

    private static ChatRequest request(List<Message> messages, List<ToolDefinition> tools, ToolChoice choice) {
        return new ChatRequest("m", messages, tools, Optional.ofNullable(choice), ChatRequest.Sampling.defaults(),
                               false, false, Map.of());
    }
}
