package io.hedgerow.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.Map;

/**
 * The inbound APIs a failure-policy test runs against, each with its own request, answer and error shapes, so one
 * test body checks the same behaviour through Chat Completions and through Anthropic's Messages API
 * ({@code @ParameterizedTest @EnumSource(Inbound.class)}).
 */
public enum Inbound {
    CHAT_COMPLETIONS("/v1/chat/completions"),
    MESSAGES("/v1/messages");

    private final String path;

    Inbound(String path) {
        this.path = path;
    }

    public String path() {
        return path;
    }

    /** A one-turn request for {@code model} saying {@code text}. */
    public String request(String model, String text) {
        return request(model, text, false);
    }

    /** A one-turn streamed request (asking for usage where the API needs asking). */
    public String streamRequest(String model, String text) {
        return request(model, text, true);
    }

    private String request(String model, String text, boolean stream) {
        String messages = "[{\"role\":\"user\",\"content\":" + quote(text) + "}]";
        return switch (this) {
            case CHAT_COMPLETIONS -> "{\"model\":" + quote(model) + ",\"messages\":" + messages
                    + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + "}";
            case MESSAGES -> "{\"model\":" + quote(model) + ",\"max_tokens\":1024,\"messages\":" + messages
                    + (stream ? ",\"stream\":true" : "") + "}";
        };
    }

    /**
     * The request with the model's reasoning asked to be shown: a Messages client turns thinking on (with room for
     * it in {@code max_tokens}); a Chat Completions client is shown reasoning as it comes.
     */
    public String withThinking(String request) {
        if (this == CHAT_COMPLETIONS) {
            return request;
        }
        return request.replace("\"max_tokens\":1024", "\"max_tokens\":4096")
                .replaceFirst("}$", ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024}}");
    }

    public HttpResponse<String> send(RawClient raw, String body) {
        return raw.post(path, body, Map.of());
    }

    public HttpResponse<String> send(RawClient raw, String body, Map<String, String> headers) {
        return raw.post(path, body, headers);
    }

    /** Sends a streamed request and reads the whole answer. */
    public RawClient.SseStream stream(RawClient raw, String body) {
        return raw.stream(this, path, body);
    }

    /** The text of a whole (non-streamed) answer. */
    public String text(HttpResponse<String> response) {
        JsonNode json = RawClient.json(response);
        if (this == CHAT_COMPLETIONS) {
            return json.at("/choices/0/message/content").asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode block : json.path("content")) {
            if (block.path("type").asText().equals("text")) {
                text.append(block.path("text").asText());
            }
        }
        return text.toString();
    }

    /** The model a whole answer names. */
    public String model(HttpResponse<String> response) {
        return RawClient.json(response).path("model").asText();
    }

    /**
     * The status a client of this API gets where a Chat Completions client gets {@code openAiStatus} (Anthropic's
     * statuses: a 503 is its 529 "overloaded", a 502 its 500).
     */
    public int status(int openAiStatus) {
        if (this == CHAT_COMPLETIONS) {
            return openAiStatus;
        }
        return switch (openAiStatus) {
            case 503 -> 529;
            case 502 -> 500;
            default -> openAiStatus;
        };
    }

    /** What says the kind of error: OpenAI's {@code error.code}, Anthropic's {@code error.type}. */
    public String errorKind(HttpResponse<String> response) {
        JsonNode error = RawClient.json(response).path("error");
        return (this == CHAT_COMPLETIONS ? error.path("code") : error.path("type")).asText();
    }

    /** The error's message. */
    public String errorMessage(HttpResponse<String> response) {
        return RawClient.json(response).at("/error/message").asText();
    }

    /** {@code openAi} for Chat Completions, {@code anthropic} for Messages. */
    public String pick(String openAi, String anthropic) {
        return this == CHAT_COMPLETIONS ? openAi : anthropic;
    }

    private static String quote(String text) {
        return RawClient.JSON_TEXT.apply(text);
    }
}
