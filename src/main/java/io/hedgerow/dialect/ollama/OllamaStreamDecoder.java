package io.hedgerow.dialect.ollama;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.DialectException;
import io.hedgerow.json.Json;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.ToolCall;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns the lines of an Ollama NDJSON chat stream, one parsed object at a time, into canonical events:
 * <ul>
 *     <li>{@code message.thinking} becomes a {@link StreamEvent.ReasoningDelta} and {@code message.content} a
 *     {@link StreamEvent.TextDelta}, in that order (empty ones are skipped);</li>
 *     <li>each entry of {@code message.tool_calls} becomes one {@link StreamEvent.ToolCallDelta} carrying id,
 *     name and the whole arguments (Ollama sends a call whole, never in pieces), indexed from 0 across the
 *     stream;</li>
 *     <li>the line with {@code done: true}, after its own content if any, yields {@link StreamEvent.Finished}
 *     and then {@link StreamEvent.UsageReported} when it has counts; after that the stream is over.</li>
 * </ul>
 * Error lines ({@code {"error": ...}}) are the caller's to classify before decoding. Not thread-safe: one decoder
 * per stream.
 */
public final class OllamaStreamDecoder {
    private int toolCalls;
    private boolean finished;

    /** Whether the {@code done} line has been decoded. */
    public boolean finished() {
        return finished;
    }

    /** The canonical events of one line, in order. */
    public List<StreamEvent> decode(JsonNode chunk) throws DialectException {
        List<StreamEvent> events = new ArrayList<>(3);
        JsonNode message = chunk.get("message");
        if (message != null && message.isObject()) {
            OllamaCodec.thinking(message).ifPresent(thinking -> events.add(new StreamEvent.ReasoningDelta(thinking)));
            Json.text(message, "content").filter(s -> !s.isEmpty())
                    .ifPresent(text -> events.add(new StreamEvent.TextDelta(text)));
            for (ToolCall call : OllamaCodec.toolCalls(message, toolCalls)) {
                events.add(new StreamEvent.ToolCallDelta(toolCalls++, Optional.of(call.id()),
                                                         Optional.of(call.name()), call.arguments()));
            }
        }
        JsonNode doneFlag = chunk.get("done");
        if (doneFlag != null && doneFlag.asBoolean(false)) {
            events.add(new StreamEvent.Finished(OllamaCodec.finishReason(chunk, toolCalls > 0)));
            OllamaCodec.usage(chunk).ifPresent(usage -> events.add(new StreamEvent.UsageReported(usage)));
            finished = true;
        }
        return events;
    }
}
