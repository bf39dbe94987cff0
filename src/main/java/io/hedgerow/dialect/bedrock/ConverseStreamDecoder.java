package io.hedgerow.dialect.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.json.Json;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.StreamEvent;

import software.amazon.awssdk.eventstream.Message;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns ConverseStream's event-stream frames, one at a time, into canonical {@link StreamEvent}s.
 *
 * <p>A frame's {@code :message-type} is {@code event} or {@code exception}; an event's {@code :event-type} decides:
 * <ul>
 *   <li>{@code messageStart}: emits {@code Metadata} with the model asked for (Converse names none);</li>
 *   <li>{@code contentBlockStart} with a {@code toolUse}: opens tool call number {@code n} (counted from 0 over tool
 *       blocks only, as OpenAI indexes them, not Converse's block index) and emits {@code ToolCallDelta(n, id, name,
 *       "")};</li>
 *   <li>{@code contentBlockDelta}: {@code text} emits its text, {@code reasoningContent.text} a reasoning piece,
 *       {@code toolUse.input} the next piece of that block's tool-call arguments;</li>
 *   <li>{@code contentBlockStop}: a tool call whose arguments stayed empty gets {@code "{}"}, as its non-streamed
 *       answer says;</li>
 *   <li>{@code messageStop}: emits {@code Finished} with its stop reason: the answer is complete;</li>
 *   <li>{@code metadata} (after {@code messageStop}): emits {@code UsageReported} (cache reads and writes counted as
 *       prompt tokens, as {@link ConverseCodec} does);</li>
 *   <li>unknown event types are skipped, so new ones do not break old routers.</li>
 * </ul>
 * An exception frame ({@code :exception-type} such as {@code throttlingException}) throws, classified by
 * {@link BedrockErrors}; malformed JSON is a {@code BAD_RESPONSE}. Not thread-safe: one decoder per stream.
 */
public final class ConverseStreamDecoder {
    private final String model;
    /** Open tool calls: Converse's block index to our tool-call index, and whether arguments came. */
    private final Map<Integer, int[]> openTools = new HashMap<>();
    private int nextToolIndex;
    private boolean finished;

    /** @param model the model id asked for, named in the stream's metadata event */
    public ConverseStreamDecoder(String model) {
        this.model = model;
    }

    /** Whether {@code messageStop} has been decoded: the answer is complete (usage may still follow). */
    public boolean finished() {
        return finished;
    }

    /** The canonical events for one frame, in order; often none. */
    public List<StreamEvent> decode(Message frame) throws DialectException {
        String messageType = EventStreamFrames.header(frame, ":message-type").orElse("event");
        if (!messageType.equals("event")) {
            throw exception(frame);
        }
        String type = EventStreamFrames.header(frame, ":event-type").orElse("");
        JsonNode payload = payload(frame, type);
        List<StreamEvent> events = new ArrayList<>(2);
        switch (type) {
        case "messageStart" -> events.add(new StreamEvent.Metadata(model, Optional.empty(), Optional.empty()));
        case "contentBlockStart" -> {
            JsonNode use = payload.path("start").get("toolUse");
            if (use != null && use.isObject()) {
                int index = nextToolIndex++;
                openTools.put(payload.path("contentBlockIndex").asInt(), new int[] {index, 0});
                events.add(new StreamEvent.ToolCallDelta(index, Json.text(use, "toolUseId"),
                                                         Json.text(use, "name"), ""));
            }
        }
        case "contentBlockDelta" -> delta(payload, events);
        case "contentBlockStop" -> {
            int[] tool = openTools.remove(payload.path("contentBlockIndex").asInt());
            if (tool != null && tool[1] == 0) {
                events.add(new StreamEvent.ToolCallDelta(tool[0], Optional.empty(), Optional.empty(), "{}"));
            }
        }
        case "messageStop" -> {
            finished = true;
            events.add(new StreamEvent.Finished(ConverseCodec.finishReason(Json.text(payload, "stopReason"))));
        }
        case "metadata" -> {
            JsonNode usage = payload.get("usage");
            if (usage != null && usage.isObject()) {
                events.add(new StreamEvent.UsageReported(ConverseCodec.usage(usage)));
            }
        }
        default -> {
            // unknown event types are tolerated
        }
        }
        return events;
    }

    private void delta(JsonNode payload, List<StreamEvent> events) throws DialectException {
        JsonNode delta = payload.path("delta");
        if (delta.has("text")) {
            events.add(new StreamEvent.TextDelta(delta.path("text").asText("")));
        } else if (delta.has("toolUse")) {
            int[] tool = openTools.get(payload.path("contentBlockIndex").asInt());
            if (tool == null) {
                throw DialectException.badResponse("toolUse delta for a block that was not started as a tool call");
            }
            String piece = delta.path("toolUse").path("input").asText("");
            if (!piece.isEmpty()) {
                tool[1] = 1;
                events.add(new StreamEvent.ToolCallDelta(tool[0], Optional.empty(), Optional.empty(), piece));
            }
        } else if (delta.has("reasoningContent")) {
            String text = delta.path("reasoningContent").path("text").asText("");
            if (!text.isEmpty()) {
                events.add(new StreamEvent.ReasoningDelta(text));
            }
        }
    }

    private static JsonNode payload(Message frame, String type) throws DialectException {
        byte[] bytes = frame.getPayload();
        if (bytes.length == 0) {
            return Json.object();
        }
        try {
            JsonNode node = ConverseCodec.readExact(bytes);
            if (node == null || !node.isObject()) {
                throw DialectException.badResponse("stream event '" + type + "' is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw DialectException.badResponse("stream event '" + type + "' is not JSON");
        }
    }

    private static DialectException exception(Message frame) {
        String type = EventStreamFrames.header(frame, ":exception-type")
                .or(() -> EventStreamFrames.header(frame, ":error-code")).orElse("unknown");
        String message;
        try {
            JsonNode body = ConverseCodec.readExact(frame.getPayload());
            message = body == null ? "" : Json.text(body, "message").or(() -> Json.text(body, "Message")).orElse("");
        } catch (IOException | RuntimeException e) {
            message = "";
        }
        FailureKind kind = BedrockErrors.kind(type, message).orElse(FailureKind.SERVER_ERROR);
        return DialectException.of(kind, type + (message.isEmpty() ? "" : ": " + message));
    }
}
