package io.hedgerow.dialect.openai;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a canonical stream into the Responses API's typed server-sent events, each with its {@code sequence_number}:
 * {@code response.created} and {@code response.in_progress}; per output item {@code response.output_item.added}, its
 * parts ({@code response.content_part.added}, {@code response.output_text.delta}/{@code .done},
 * {@code response.refusal.delta}/{@code .done}, {@code response.reasoning_summary_part.added},
 * {@code response.reasoning_summary_text.delta}/{@code .done}, {@code response.function_call_arguments.delta}/
 * {@code .done}) and {@code response.output_item.done}; then {@code response.completed} (or {@code .incomplete}) with
 * the whole response. A failure after the start is an {@code error} event followed by {@code response.failed}.
 *
 * <p>Two sources, one state. The encoder models the answer's items from the canonical events whatever their source,
 * so it can always write the final response. {@link StreamEvent.WireFrame}s of a Responses upstream are relayed as
 * they came and the canonical events they cover are not written again; the ids, output indices and sequence numbers
 * of relayed frames are taken over, so that a stream relayed from a Responses upstream that breaks and is finished by
 * a provider of another dialect goes on in the item that was open, with the next sequence numbers. When the upstream's
 * own {@code response.completed} was relayed, its response is the final one. Not thread-safe: one per response.
 */
public final class ResponsesStreamEncoder {
    private final ResponsesAnswers.Envelope envelope;
    private String model;
    private int sequence;
    private boolean started;
    private boolean stopped;
    private int covered;
    private Optional<ObjectNode> relayedFinal = Optional.empty();
    private Optional<String> relayedId = Optional.empty();

    /** Items in output order; the open reasoning or message item, and open function calls by canonical index. */
    private final List<Item> items = new ArrayList<>();
    private Item open;
    private final Map<Integer, Item> calls = new LinkedHashMap<>();
    /** The item a relayed {@code output_item.added} announced, which the next canonical item takes over. */
    private Optional<Upstream> announced = Optional.empty();

    private Optional<FinishReason> finish = Optional.empty();
    private Optional<Usage> usage = Optional.empty();

    private enum Kind { REASONING, TEXT, REFUSAL, CALL }

    private record Upstream(String id, int outputIndex, String type) {
    }

    /** One output item as it grows. */
    private static final class Item {
        final Kind kind;
        final String id;
        final int outputIndex;
        final StringBuilder text = new StringBuilder();
        String callId = "";
        String name = "";
        boolean done;

        Item(Kind kind, String id, int outputIndex) {
            this.kind = kind;
            this.id = id;
            this.outputIndex = outputIndex;
        }

        ObjectNode snapshot(String status) {
            return switch (kind) {
                case REASONING -> ResponsesAnswers.reasoningItem(id, text.toString());
                case TEXT -> ResponsesAnswers.messageItem(id, status, ResponsesAnswers.textPart(text.toString()));
                case REFUSAL -> ResponsesAnswers.messageItem(id, status,
                                                             ResponsesAnswers.refusalPart(text.toString()));
                case CALL -> ResponsesAnswers.functionCallItem(id, callId, name, text.toString(), status);
            };
        }
    }

    /**
     * @param envelope the response's id, creation time, the request (echoed) and the model named until the
     *                 upstream names one
     */
    public ResponsesStreamEncoder(ResponsesAnswers.Envelope envelope) {
        this.envelope = envelope;
        this.model = envelope.model();
    }

    /** The events for one canonical event, in order; often none. */
    public List<SseFrame> accept(StreamEvent event) {
        if (event instanceof StreamEvent.WireFrame frame) {
            return relay(frame);
        }
        List<SseFrame> out = new ArrayList<>(4);
        if (event instanceof StreamEvent.Notice notice) {
            // A resumption: whatever follows is another upstream's, translated.
            covered = 0;
            announced = Optional.empty();
            out.add(SseFrame.comment(notice.text()));
            return out;
        }
        boolean write = covered == 0;
        if (!write) {
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
        case StreamEvent.TextDelta text -> piece(out, write, Kind.TEXT, text.text());
        case StreamEvent.RefusalDelta refusal -> piece(out, write, Kind.REFUSAL, refusal.text());
        case StreamEvent.ReasoningDelta reasoning -> piece(out, write, Kind.REASONING, reasoning.text());
        case StreamEvent.ToolCallDelta call -> toolCall(out, write, call);
        case StreamEvent.Notice notice -> throw new IllegalStateException("handled above");
        case StreamEvent.WireFrame frame -> throw new IllegalStateException("handled above");
        }
        return out;
    }

    /** The closing events of a stream that ended properly: nothing more when the upstream's own were relayed. */
    public List<SseFrame> end() {
        if (stopped) {
            return List.of();
        }
        List<SseFrame> out = new ArrayList<>(8);
        start(out);
        closeOpen(out);
        for (Item call : calls.values()) {
            closeCall(out, call);
        }
        FinishReason reason = finish.orElse(FinishReason.STOP);
        String status = ResponsesAnswers.status(reason);
        out.add(frame(status.equals("completed") ? "response.completed" : "response.incomplete",
                      Json.object().set("response", finalResponse())));
        stopped = true;
        return out;
    }

    /** The events of a stream that failed after it started: {@code error}, then {@code response.failed}. */
    public List<SseFrame> fail(String code, String message) {
        List<SseFrame> out = new ArrayList<>(3);
        start(out);
        ObjectNode error = Json.object().put("code", code).put("message", message);
        error.putNull("param");
        out.add(frame("error", error));
        out.add(frame("response.failed", Json.object().set("response", ResponsesAnswers.failed(
                envelope(), snapshots("incomplete"), code, message))));
        stopped = true;
        return out;
    }

    /**
     * The response as it ended: the upstream's own when its terminal event was relayed, else the one this encoder
     * wrote (or would write) in {@code response.completed}.
     */
    public ObjectNode finalResponse() {
        if (relayedFinal.isPresent()) {
            return relayedFinal.get();
        }
        FinishReason reason = finish.orElse(FinishReason.STOP);
        return ResponsesAnswers.response(envelope(), ResponsesAnswers.status(reason), snapshots("completed"), usage,
                                         ResponsesAnswers.incompleteReason(reason));
    }

    /** The usage reported so far. */
    public Optional<Usage> usage() {
        return usage;
    }

    // ---- translation ----

    private void piece(List<SseFrame> out, boolean write, Kind kind, String text) {
        if (text.isEmpty()) {
            return;
        }
        if (open == null || open.kind != kind) {
            closeOpen(write ? out : null);
            open = openItem(write ? out : null, kind);
        }
        open.text.append(text);
        if (!write) {
            return;
        }
        ObjectNode delta = itemEvent(open);
        switch (kind) {
        case REASONING -> out.add(frame("response.reasoning_summary_text.delta",
                                        delta.put("summary_index", 0).put("delta", text)));
        case TEXT -> {
            delta.put("content_index", 0).put("delta", text);
            delta.putArray("logprobs");
            out.add(frame("response.output_text.delta", delta));
        }
        case REFUSAL -> out.add(frame("response.refusal.delta", delta.put("content_index", 0).put("delta", text)));
        case CALL -> throw new IllegalStateException("calls go through toolCall");
        }
    }

    private void toolCall(List<SseFrame> out, boolean write, StreamEvent.ToolCallDelta delta) {
        Item call = calls.get(delta.index());
        if (call == null) {
            closeOpen(write ? out : null);
            call = openItem(null, Kind.CALL);
            call.callId = delta.id().orElse("call_hr" + delta.index());
            call.name = delta.name().orElse("");
            calls.put(delta.index(), call);
            if (write) {
                start(out);
                out.add(frame("response.output_item.added", itemAdded(call)));
            }
        }
        call.text.append(delta.argumentsFragment());
        if (write && !delta.argumentsFragment().isEmpty()) {
            out.add(frame("response.function_call_arguments.delta",
                          itemEvent(call).put("delta", delta.argumentsFragment())));
        }
    }

    /** Opens an item of this kind; its added events go to {@code out} unless it is null (a relayed item). */
    private Item openItem(List<SseFrame> out, Kind kind) {
        Item item;
        Optional<Upstream> upstream = announced.filter(a -> a.type().equals(kind == Kind.REASONING ? "reasoning"
                : kind == Kind.CALL ? "function_call" : "message"));
        if (upstream.isPresent()) {
            item = new Item(kind, upstream.get().id(), upstream.get().outputIndex());
            announced = Optional.empty();
        } else {
            int index = items.isEmpty() ? 0 : items.getLast().outputIndex + 1;
            item = new Item(kind, ResponsesAnswers.newId(switch (kind) {
                case REASONING -> "rs";
                case CALL -> "fc";
                default -> "msg";
            }), index);
        }
        items.add(item);
        if (out == null) {
            return item;
        }
        start(out);
        out.add(frame("response.output_item.added", itemAdded(item)));
        switch (kind) {
        case REASONING -> out.add(frame("response.reasoning_summary_part.added", itemEvent(item)
                .put("summary_index", 0).set("part", Json.object().put("type", "summary_text").put("text", ""))));
        case TEXT -> {
            ObjectNode part = ResponsesAnswers.textPart("");
            part.remove("logprobs");
            out.add(frame("response.content_part.added", itemEvent(item).put("content_index", 0).set("part", part)));
        }
        case REFUSAL -> out.add(frame("response.content_part.added", itemEvent(item).put("content_index", 0)
                .set("part", ResponsesAnswers.refusalPart(""))));
        case CALL -> {
            // no parts
        }
        }
        return item;
    }

    /** Closes the open reasoning or message item; its done events go to {@code out} unless it is null. */
    private void closeOpen(List<SseFrame> out) {
        if (open == null) {
            return;
        }
        Item item = open;
        open = null;
        item.done = true;
        if (out == null) {
            return;
        }
        String text = item.text.toString();
        switch (item.kind) {
        case REASONING -> {
            out.add(frame("response.reasoning_summary_text.done", itemEvent(item).put("summary_index", 0)
                    .put("text", text)));
            out.add(frame("response.reasoning_summary_part.done", itemEvent(item).put("summary_index", 0)
                    .set("part", Json.object().put("type", "summary_text").put("text", text))));
        }
        case TEXT -> {
            ObjectNode done = itemEvent(item).put("content_index", 0).put("text", text);
            done.putArray("logprobs");
            out.add(frame("response.output_text.done", done));
            out.add(frame("response.content_part.done", itemEvent(item).put("content_index", 0)
                    .set("part", ResponsesAnswers.textPart(text))));
        }
        case REFUSAL -> {
            out.add(frame("response.refusal.done", itemEvent(item).put("content_index", 0).put("refusal", text)));
            out.add(frame("response.content_part.done", itemEvent(item).put("content_index", 0)
                    .set("part", ResponsesAnswers.refusalPart(text))));
        }
        case CALL -> throw new IllegalStateException("calls close in closeCall");
        }
        out.add(frame("response.output_item.done", Json.object().put("output_index", item.outputIndex)
                .set("item", item.snapshot("completed"))));
    }

    private void closeCall(List<SseFrame> out, Item call) {
        if (call.done) {
            return;
        }
        call.done = true;
        out.add(frame("response.function_call_arguments.done", itemEvent(call).put("name", call.name)
                .put("arguments", call.text.toString())));
        out.add(frame("response.output_item.done", Json.object().put("output_index", call.outputIndex)
                .set("item", call.snapshot("completed"))));
    }

    private void start(List<SseFrame> out) {
        if (started) {
            return;
        }
        started = true;
        ObjectNode response = ResponsesAnswers.response(envelope(), "in_progress", List.of(), Optional.empty(),
                                                        Optional.empty());
        out.add(frame("response.created", Json.object().set("response", response)));
        out.add(frame("response.in_progress", Json.object().set("response", response)));
    }

    private List<ObjectNode> snapshots(String status) {
        List<ObjectNode> snapshots = new ArrayList<>(items.size());
        for (Item item : items) {
            snapshots.add(item.snapshot(item.done ? "completed" : status));
        }
        return snapshots;
    }

    private ResponsesAnswers.Envelope envelope() {
        return new ResponsesAnswers.Envelope(relayedId.orElse(envelope.id()), envelope.createdAt(),
                                             envelope.request(), model);
    }

    private static ObjectNode itemAdded(Item item) {
        return Json.object().put("output_index", item.outputIndex).set("item", item.snapshot("in_progress"));
    }

    private static ObjectNode itemEvent(Item item) {
        return Json.object().put("item_id", item.id).put("output_index", item.outputIndex);
    }

    // ---- relay ----

    private List<SseFrame> relay(StreamEvent.WireFrame frame) {
        if (frame.dialect() != Dialect.OPENAI_RESPONSES) {
            return List.of();
        }
        covered = frame.covers();
        started = true;
        sequence = Math.max(sequence, sequenceOf(frame.data()) + 1);
        switch (frame.event()) {
        case "response.created" -> relayedId = Optional.of(parse(frame.data()).path("response").path("id").asText(
                envelope.id()));
        case "response.output_item.added" -> {
            JsonNode node = parse(frame.data());
            announced = Optional.of(new Upstream(node.path("item").path("id").asText(""),
                                                 node.path("output_index").asInt(items.size()),
                                                 node.path("item").path("type").asText("")));
        }
        case "response.output_item.done" -> {
            // The matching canonical item is complete: a later piece of the same kind starts a new item.
            if (open != null) {
                open.done = true;
                open = null;
            }
            for (Item call : calls.values()) {
                call.done = true;
            }
        }
        case "response.completed", "response.incomplete", "response.failed" -> {
            stopped = true;
            JsonNode response = parse(frame.data()).path("response");
            if (response.isObject()) {
                relayedFinal = Optional.of((ObjectNode) response);
            }
        }
        default -> {
            // deltas and the rest change nothing the encoder takes from the wire
        }
        }
        return List.of(new SseFrame(frame.event(), frame.data()));
    }

    /** The frame's {@code sequence_number}, read without parsing the frame; -1 when it has none. */
    static int sequenceOf(String data) {
        int at = data.indexOf("\"sequence_number\"");
        if (at < 0) {
            return -1;
        }
        int i = data.indexOf(':', at) + 1;
        while (i > 0 && i < data.length() && data.charAt(i) == ' ') {
            i++;
        }
        int value = 0;
        boolean digits = false;
        while (i > 0 && i < data.length() && Character.isDigit(data.charAt(i)) && value < 100_000_000) {
            value = value * 10 + (data.charAt(i++) - '0');
            digits = true;
        }
        return digits ? value : -1;
    }

    private SseFrame frame(String event, ObjectNode data) {
        ObjectNode typed = Json.object().put("type", event);
        typed.setAll(data);
        typed.put("sequence_number", sequence++);
        try {
            return new SseFrame(event, Json.MAPPER.writeValueAsString(typed));
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
