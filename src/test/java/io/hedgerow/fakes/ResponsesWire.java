package io.hedgerow.fakes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link FakeOpenAi.Reply} in the Responses API's wire format, as OpenAI writes it: the {@code response} object
 * (reasoning item with its summary, assistant message with {@code output_text} or {@code refusal}, {@code function_call}
 * items, usage with details) and the typed event stream that builds it, each event with its {@code sequence_number}.
 * Ids are the fake's own: {@code resp_fake<n>}, {@code rs_fake<n>}, {@code msg_fake<n>}, {@code fc_fake<n>_<i>}.
 */
final class ResponsesWire {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CREATED = 1_700_000_000L;

    private ResponsesWire() {
    }

    /** The whole response object for request {@code n}. */
    static ObjectNode response(FakeOpenAi.Reply reply, int n, String model, String status) {
        ObjectNode response = JSON.createObjectNode().put("id", "resp_fake" + n).put("object", "response")
                .put("created_at", CREATED).put("status", status).put("model", model);
        response.putNull("error");
        boolean incomplete = status.equals("completed") && reply.finishReasonName().equals("length");
        if (incomplete) {
            response.put("status", "incomplete");
            response.putObject("incomplete_details").put("reason", "max_output_tokens");
        } else {
            response.putNull("incomplete_details");
        }
        response.putNull("instructions");
        response.putObject("metadata");
        response.put("parallel_tool_calls", true).putNull("temperature").put("tool_choice", "auto");
        response.putArray("tools");
        response.putNull("top_p");
        ArrayNode output = response.putArray("output");
        if (status.equals("in_progress")) {
            response.putNull("usage");
            return response;
        }
        output.addAll(items(reply, n, true));
        ObjectNode usage = response.putObject("usage").put("input_tokens", reply.promptTokens());
        usage.putObject("input_tokens_details").put("cached_tokens", reply.cachedTokens());
        usage.put("output_tokens", reply.completionTokenCount());
        usage.putObject("output_tokens_details").put("reasoning_tokens", reply.reasoningTokens());
        usage.put("total_tokens", reply.promptTokens() + reply.completionTokenCount());
        return response;
    }

    private static List<ObjectNode> items(FakeOpenAi.Reply reply, int n, boolean done) {
        List<ObjectNode> items = new ArrayList<>();
        if (!reply.reasoningPieces().isEmpty()) {
            items.add(reasoning(n, done ? String.join("", reply.reasoningPieces()) : null));
        }
        if (reply.refusalPieces() != null) {
            items.add(message(n, "refusal", done ? String.join("", reply.refusalPieces()) : null));
        } else if (reply.calls().isEmpty()) {
            items.add(message(n, "output_text", done ? String.join("", reply.textPieces()) : null));
        }
        for (int i = 0; i < reply.calls().size(); i++) {
            FakeOpenAi.Call call = reply.calls().get(i);
            items.add(JSON.createObjectNode().put("id", "fc_fake" + n + "_" + i).put("type", "function_call")
                              .put("status", done ? "completed" : "in_progress")
                              .put("arguments", done ? call.arguments() : "").put("call_id", call.id())
                              .put("name", call.name()));
        }
        return items;
    }

    private static ObjectNode reasoning(int n, String text) {
        ObjectNode item = JSON.createObjectNode().put("id", "rs_fake" + n).put("type", "reasoning");
        ArrayNode summary = item.putArray("summary");
        if (text != null) {
            summary.addObject().put("type", "summary_text").put("text", text);
            item.put("encrypted_content", "gAAAAfake-encrypted-" + n);
        }
        return item;
    }

    private static ObjectNode message(int n, String type, String text) {
        ObjectNode item = JSON.createObjectNode().put("id", "msg_fake" + n).put("type", "message")
                .put("status", text == null ? "in_progress" : "completed").put("role", "assistant");
        ArrayNode content = item.putArray("content");
        if (text != null) {
            content.add(part(type, text));
        }
        return item;
    }

    private static ObjectNode part(String type, String text) {
        ObjectNode part = JSON.createObjectNode().put("type", type);
        if (type.equals("refusal")) {
            return part.put("refusal", text);
        }
        part.put("text", text);
        part.putArray("annotations");
        return part;
    }

    /** The event stream for request {@code n}, each event a whole {@code event:}/{@code data:} block. */
    static List<String> events(FakeOpenAi.Reply reply, int n, String model) {
        Events events = new Events();
        events.add("response.created", JSON.createObjectNode().set("response", response(reply, n, model,
                                                                                        "in_progress")));
        events.add("response.in_progress", JSON.createObjectNode().set("response", response(reply, n, model,
                                                                                            "in_progress")));
        List<ObjectNode> started = items(reply, n, false);
        List<ObjectNode> finished = items(reply, n, true);
        int pieces = 0;
        for (int index = 0; index < started.size(); index++) {
            ObjectNode item = started.get(index);
            String id = item.get("id").asText();
            events.add("response.output_item.added", JSON.createObjectNode().put("output_index", index)
                    .set("item", item));
            switch (item.get("type").asText()) {
            case "reasoning" -> {
                events.add("response.reasoning_summary_part.added", at(id, index).put("summary_index", 0)
                        .set("part", JSON.createObjectNode().put("type", "summary_text").put("text", "")));
                for (String piece : reply.reasoningPieces()) {
                    if (pieces++ == reply.cutAfterPieces()) {
                        return events.list;
                    }
                    events.add("response.reasoning_summary_text.delta", at(id, index).put("summary_index", 0)
                            .put("delta", piece));
                }
                String text = String.join("", reply.reasoningPieces());
                events.add("response.reasoning_summary_text.done", at(id, index).put("summary_index", 0)
                        .put("text", text));
                events.add("response.reasoning_summary_part.done", at(id, index).put("summary_index", 0)
                        .set("part", JSON.createObjectNode().put("type", "summary_text").put("text", text)));
            }
            case "message" -> {
                boolean refusal = reply.refusalPieces() != null;
                String type = refusal ? "refusal" : "output_text";
                events.add("response.content_part.added", at(id, index).put("content_index", 0)
                        .set("part", part(type, "")));
                List<String> text = refusal ? reply.refusalPieces() : reply.textPieces();
                for (String piece : text) {
                    if (pieces++ == reply.cutAfterPieces()) {
                        return events.list;
                    }
                    ObjectNode delta = at(id, index).put("content_index", 0).put("delta", piece);
                    if (!refusal) {
                        delta.putArray("logprobs");
                    }
                    events.add(refusal ? "response.refusal.delta" : "response.output_text.delta", delta);
                }
                String whole = String.join("", text);
                ObjectNode done = at(id, index).put("content_index", 0);
                if (refusal) {
                    events.add("response.refusal.done", done.put("refusal", whole));
                } else {
                    done.put("text", whole).putArray("logprobs");
                    events.add("response.output_text.done", done);
                }
                events.add("response.content_part.done", at(id, index).put("content_index", 0)
                        .set("part", part(type, whole)));
            }
            default -> {
                FakeOpenAi.Call call = reply.calls().get(index - (started.size() - reply.calls().size()));
                for (String piece : call.argumentPieces()) {
                    if (pieces++ == reply.cutAfterPieces()) {
                        return events.list;
                    }
                    events.add("response.function_call_arguments.delta", at(id, index).put("delta", piece));
                }
                events.add("response.function_call_arguments.done", at(id, index).put("name", call.name())
                        .put("arguments", call.arguments()));
            }
            }
            events.add("response.output_item.done", JSON.createObjectNode().put("output_index", index)
                    .set("item", finished.get(index)));
        }
        if (pieces == reply.cutAfterPieces()) {
            return events.list;
        }
        ObjectNode response = response(reply, n, model, "completed");
        events.add(response.get("status").asText().equals("incomplete") ? "response.incomplete"
                           : "response.completed", JSON.createObjectNode().set("response", response));
        return events.list;
    }

    private static ObjectNode at(String itemId, int outputIndex) {
        return JSON.createObjectNode().put("item_id", itemId).put("output_index", outputIndex);
    }

    /** Events numbered in order. */
    private static final class Events {
        final List<String> list = new ArrayList<>();

        void add(String type, ObjectNode data) {
            ObjectNode typed = JSON.createObjectNode().put("type", type);
            typed.setAll(data);
            typed.put("sequence_number", list.size());
            try {
                list.add("event: " + type + "\ndata: " + JSON.writeValueAsString(typed) + "\n\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
