package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.dialect.SseFrame;
import io.hedgerow.json.Json;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.Usage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a canonical stream into the Messages API's server-sent events, exactly in Anthropic's sequence:
 * {@code message_start}, a {@code ping}, then per content block {@code content_block_start},
 * {@code content_block_delta}s and {@code content_block_stop}, then {@code message_delta} (stop reason and usage) and
 * {@code message_stop}.
 *
 * <p>Two sources, one state. {@link StreamEvent.WireFrame}s of an Anthropic upstream are relayed as they came, and the
 * canonical events they cover are skipped; any other event is
 * translated. Both move the same state, the open block and the next block index, read from the relayed
 * {@code content_block_start}/{@code content_block_stop} frames (those are parsed; the frequent deltas are not). So a
 * stream relayed from Anthropic that breaks and is finished by a provider of another dialect goes on in the block
 * that was open, or in the next index after the upstream's last.
 *
 * <p>Translation: text (and a refusal) goes to a {@code text} block, reasoning to a {@code thinking} block (only
 * when the client turned thinking on, and without a signature), each tool call to a {@code tool_use} block whose
 * argument pieces are {@code input_json_delta}s. Blocks never overlap, even from a provider that interleaves the
 * pieces of parallel calls: a call that starts while another's arguments are not yet a whole JSON object is held, and
 * opens (with what it has so far) once they are, or at the end; providers that send calls one after another keep
 * every call streaming. A tool id Anthropic would
 * refuse is rewritten ({@link AnthropicCodec#toolUseId}). Stop reason and usage wait for the end: in other dialects
 * usage comes after the finish reason. Not thread-safe: one encoder per response.
 */
public final class MessagesStreamEncoder {
    private final String messageId;
    private final boolean thinking;
    private String model;

    private boolean started;
    private boolean stopped;
    private int covered;
    private Block open;
    private int nextIndex;
    private final Map<Integer, Integer> toolBlocks = new HashMap<>();
    /** The arguments so far of the tool call whose block is open. */
    private final StringBuilder openArguments = new StringBuilder();
    /** Calls that started while the open call's arguments were incomplete, in order of their index. */
    private final Map<Integer, Held> held = new LinkedHashMap<>();
    private Optional<FinishReason> finish = Optional.empty();
    private boolean refused;
    private Optional<Usage> usage = Optional.empty();

    private enum Kind { TEXT, THINKING, TOOL, OTHER }

    private record Block(int index, Kind kind) {
    }

    /** A tool call not yet given a block: what it has said so far. */
    private static final class Held {
        private Optional<String> id;
        private Optional<String> name;
        private final StringBuilder arguments = new StringBuilder();

        Held(StreamEvent.ToolCallDelta call) {
            this.id = call.id();
            this.name = call.name();
        }

        void add(StreamEvent.ToolCallDelta call) {
            id = id.or(call::id);
            name = name.or(call::name);
            arguments.append(call.argumentsFragment());
        }
    }

    /**
     * @param messageId the {@code id} of the message
     * @param model     the model named in {@code message_start} unless the upstream names one first
     * @param thinking  whether the client turned thinking on (reasoning from other dialects is shown only then)
     */
    public MessagesStreamEncoder(String messageId, String model, boolean thinking) {
        this.messageId = messageId;
        this.model = model;
        this.thinking = thinking;
    }

    /** Whether {@code message_start} went out: an error is now an {@code error} event. */
    public boolean started() {
        return started;
    }

    /** The events for one canonical event, in order; often none. */
    public List<SseFrame> accept(StreamEvent event) {
        if (event instanceof StreamEvent.WireFrame frame) {
            return relay(frame);
        }
        List<SseFrame> out = new ArrayList<>(3);
        if (event instanceof StreamEvent.Notice notice) {
            // A resumption: whatever follows is another upstream's, translated.
            covered = 0;
            out.add(SseFrame.comment(notice.text()));
            return out;
        }
        boolean skip = covered > 0;
        if (skip) {
            covered--;
        }
        switch (event) {
        case StreamEvent.Metadata metadata -> {
            if (!started) {
                model = metadata.model();
            }
        }
        case StreamEvent.Finished finished -> finish = Optional.of(finished.reason());
        case StreamEvent.UsageReported reported -> usage = Optional.of(reported.usage());
        case StreamEvent.Notice notice -> throw new IllegalStateException("handled above");
        case StreamEvent.TextDelta text -> {
            if (!skip && !text.text().isEmpty()) {
                delta(out, Kind.TEXT, "text_delta", "text", text.text());
            }
        }
        case StreamEvent.RefusalDelta refusal -> {
            refused = true;
            if (!skip && !refusal.text().isEmpty()) {
                delta(out, Kind.TEXT, "text_delta", "text", refusal.text());
            }
        }
        case StreamEvent.ReasoningDelta reasoning -> {
            if (!skip && thinking && !reasoning.text().isEmpty()) {
                delta(out, Kind.THINKING, "thinking_delta", "thinking", reasoning.text());
            }
        }
        case StreamEvent.ToolCallDelta call -> {
            if (!skip) {
                toolCall(out, call);
            }
        }
        case StreamEvent.WireFrame frame -> throw new IllegalStateException("handled above");
        }
        return out;
    }

    /** The closing events of a stream that ended properly: nothing when the upstream's own were relayed. */
    public List<SseFrame> end() {
        if (stopped) {
            return List.of();
        }
        List<SseFrame> out = new ArrayList<>(4);
        start(out);
        openHeld(out);
        close(out);
        ObjectNode delta = Json.object().put("type", "message_delta");
        String reason = refused ? "refusal" : MessagesResponseWriter.stopReason(finish.orElse(FinishReason.STOP));
        delta.putObject("delta").put("stop_reason", reason).putNull("stop_sequence");
        delta.set("usage", MessagesResponseWriter.usage(usage.orElse(new Usage(0, 0))));
        out.add(frame("message_delta", delta));
        out.add(frame("message_stop", Json.object().put("type", "message_stop")));
        stopped = true;
        return out;
    }

    /** An {@code error} event, Anthropic's way of saying a stream failed after it started. */
    public static SseFrame error(String type, String message) {
        ObjectNode root = Json.object().put("type", "error");
        root.putObject("error").put("type", type).put("message", message);
        return frame("error", root);
    }

    /** A {@code ping}, sent while the stream waits. */
    public static SseFrame ping() {
        return new SseFrame("ping", "{\"type\": \"ping\"}");
    }

    private List<SseFrame> relay(StreamEvent.WireFrame frame) {
        if (frame.dialect() != Dialect.ANTHROPIC) {
            return List.of();
        }
        covered = frame.covers();
        switch (frame.event()) {
        case "message_start" -> started = true;
        case "content_block_start" -> {
            JsonNode node = parse(frame.data());
            int index = node.path("index").asInt(nextIndex);
            String type = node.path("content_block").path("type").asText("");
            open = new Block(index, switch (type) {
                case "text" -> Kind.TEXT;
                case "thinking" -> Kind.THINKING;
                case "tool_use" -> Kind.TOOL;
                default -> Kind.OTHER;
            });
            nextIndex = Math.max(nextIndex, index + 1);
        }
        case "content_block_stop" -> open = null;
        case "message_stop" -> stopped = true;
        default -> {
            // deltas, message_delta and pings change nothing the encoder tracks
        }
        }
        return List.of(new SseFrame(frame.event(), frame.data()));
    }

    private void delta(List<SseFrame> out, Kind kind, String type, String field, String value) {
        start(out);
        if (open == null || open.kind != kind) {
            openHeld(out);
            close(out);
            ObjectNode block = Json.object().put("type", kind == Kind.TEXT ? "text" : "thinking");
            block.put(kind == Kind.TEXT ? "text" : "thinking", "");
            if (kind == Kind.THINKING) {
                block.put("signature", "");
            }
            open(out, kind, block);
        }
        out.add(blockDelta(open.index, Json.object().put("type", type).put(field, value)));
    }

    private void toolCall(List<SseFrame> out, StreamEvent.ToolCallDelta call) {
        start(out);
        String piece = call.argumentsFragment();
        Integer index = toolBlocks.get(call.index());
        if (index != null) {
            // Its block is the open one (a block is closed only once its arguments were whole, or at the end).
            if (!piece.isEmpty()) {
                out.add(inputDelta(index, piece));
            }
            if (open != null && open.index == index) {
                openArguments.append(piece);
                openNextHeld(out);
            }
            return;
        }
        Held waiting = held.get(call.index());
        if (waiting == null && open != null && open.kind == Kind.TOOL && !whole(openArguments)) {
            waiting = new Held(call);
            held.put(call.index(), waiting);
            waiting.arguments.append(piece);
            return;
        }
        if (waiting != null) {
            waiting.add(call);
            return;
        }
        openTool(out, call.index(), call.id(), call.name(), piece);
    }

    private void openTool(List<SseFrame> out, int call, Optional<String> id, Optional<String> name, String arguments) {
        close(out);
        ObjectNode block = Json.object().put("type", "tool_use");
        block.put("id", AnthropicCodec.toolUseId(id.orElse("toolu_hedgerow_" + call)));
        block.put("name", name.orElse(""));
        block.putObject("input");
        open(out, Kind.TOOL, block);
        toolBlocks.put(call, open.index);
        openArguments.setLength(0);
        openArguments.append(arguments);
        if (!arguments.isEmpty()) {
            out.add(inputDelta(open.index, arguments));
        }
        openNextHeld(out);
    }

    /** Opens the first held call once the open call's arguments are whole. */
    private void openNextHeld(List<SseFrame> out) {
        if (!held.isEmpty() && whole(openArguments)) {
            Map.Entry<Integer, Held> next = held.entrySet().iterator().next();
            held.remove(next.getKey());
            openTool(out, next.getKey(), next.getValue().id, next.getValue().name,
                     next.getValue().arguments.toString());
        }
    }

    /** Opens every held call, in order, before anything else is written (other content, or the end). */
    private void openHeld(List<SseFrame> out) {
        while (!held.isEmpty()) {
            Map.Entry<Integer, Held> next = held.entrySet().iterator().next();
            held.remove(next.getKey());
            openTool(out, next.getKey(), next.getValue().id, next.getValue().name,
                     next.getValue().arguments.toString());
        }
    }

    /** Whether a call's arguments so far are a whole JSON value (then no more pieces can belong to them). */
    private static boolean whole(CharSequence arguments) {
        if (arguments.isEmpty()) {
            return false;
        }
        try {
            return AnthropicCodec.readExact(arguments.toString()) != null;
        } catch (IOException e) {
            return false;
        }
    }

    private static SseFrame inputDelta(int index, String piece) {
        return blockDelta(index, Json.object().put("type", "input_json_delta").put("partial_json", piece));
    }

    private void start(List<SseFrame> out) {
        if (started) {
            return;
        }
        started = true;
        ObjectNode root = Json.object().put("type", "message_start");
        ObjectNode message = root.putObject("message");
        message.put("id", messageId).put("type", "message").put("role", "assistant").put("model", model);
        message.putArray("content");
        message.putNull("stop_reason").putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", 0).put("output_tokens", 0);
        out.add(frame("message_start", root));
        out.add(ping());
    }

    private void open(List<SseFrame> out, Kind kind, ObjectNode block) {
        open = new Block(nextIndex++, kind);
        ObjectNode start = Json.object().put("type", "content_block_start").put("index", open.index);
        start.set("content_block", block);
        out.add(frame("content_block_start", start));
    }

    private void close(List<SseFrame> out) {
        if (open != null) {
            out.add(frame("content_block_stop", Json.object().put("type", "content_block_stop")
                    .put("index", open.index)));
            open = null;
        }
    }

    private static SseFrame blockDelta(int index, ObjectNode delta) {
        ObjectNode root = Json.object().put("type", "content_block_delta").put("index", index);
        root.set("delta", delta);
        return frame("content_block_delta", root);
    }

    private static SseFrame frame(String event, JsonNode data) {
        try {
            return new SseFrame(event, Json.MAPPER.writeValueAsString(data));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode parse(String data) {
        try {
            JsonNode node = Json.MAPPER.readTree(data);
            return node == null ? Json.object() : node;
        } catch (IOException e) {
            // The adapter decoded this frame already; an unreadable one cannot get here.
            return Json.object();
        }
    }
}
