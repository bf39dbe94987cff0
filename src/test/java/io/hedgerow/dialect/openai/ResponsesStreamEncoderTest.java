package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.SseFrame;
import io.hedgerow.json.Json;
import io.hedgerow.model.Dialect;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.Usage;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Responses stream encoder's two sources: relayed frames, then (after a resumption) translated events. */
class ResponsesStreamEncoderTest {
    private final ResponsesStreamEncoder encoder = new ResponsesStreamEncoder(new ResponsesAnswers.Envelope(
            "resp_hrmine", 1L, Json.object().put("model", "route"), "route"));

    @Test
    void aRelayedStreamBrokenMidTextGoesOnInTheSameItemWithTheNextSequenceNumbers() throws Exception {
        List<SseFrame> out = new ArrayList<>();
        out.addAll(encoder.accept(frame("response.created",
                "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_up\",\"model\":\"m\"}}", 1)));
        out.addAll(encoder.accept(new StreamEvent.Metadata("m", Optional.empty(), Optional.empty())));
        out.addAll(encoder.accept(frame("response.output_item.added",
                "{\"type\":\"response.output_item.added\",\"sequence_number\":1,\"output_index\":0,"
                        + "\"item\":{\"id\":\"msg_up\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[]}}", 0)));
        out.addAll(encoder.accept(frame("response.output_text.delta",
                "{\"type\":\"response.output_text.delta\",\"sequence_number\":2,\"item_id\":\"msg_up\","
                        + "\"output_index\":0,\"content_index\":0,\"delta\":\"Hel\"}", 1)));
        out.addAll(encoder.accept(new StreamEvent.TextDelta("Hel")));
        assertEquals(3, out.size(), "relayed frames as they came, the covered events not written again");

        out.addAll(encoder.accept(new StreamEvent.Notice("hedgerow resumed on other/m")));
        out.addAll(encoder.accept(new StreamEvent.TextDelta("lo")));
        out.addAll(encoder.accept(new StreamEvent.Finished(FinishReason.STOP)));
        out.addAll(encoder.accept(new StreamEvent.UsageReported(new Usage(3, 2))));
        out.addAll(encoder.end());

        List<JsonNode> events = out.stream().filter(f -> !f.isComment()).map(f -> parse(f.data())).toList();
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i, events.get(i).path("sequence_number").asInt(), events.get(i).toString());
        }
        JsonNode continued = events.get(3);
        assertEquals("response.output_text.delta", continued.path("type").asText());
        assertEquals("msg_up", continued.path("item_id").asText());
        assertEquals("lo", continued.path("delta").asText());
        JsonNode completed = events.getLast();
        assertEquals("response.completed", completed.path("type").asText());
        assertEquals("resp_up", completed.at("/response/id").asText(), "the id the client saw first");
        assertEquals("Hello", completed.at("/response/output/0/content/0/text").asText());
        assertTrue(out.stream().anyMatch(SseFrame::isComment));
    }

    @Test
    void aFailureAfterTheStartIsAnErrorEventThenResponseFailed() {
        List<SseFrame> out = new ArrayList<>(encoder.accept(new StreamEvent.TextDelta("Hi")));
        out.addAll(encoder.fail("upstream_stream_broken", "the answer was interrupted"));
        List<String> types = out.stream().map(SseFrame::event).toList();
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added",
                             "response.content_part.added", "response.output_text.delta", "error",
                             "response.failed"), types);
        JsonNode failed = parse(out.getLast().data());
        assertEquals("failed", failed.at("/response/status").asText());
        assertEquals("upstream_stream_broken", failed.at("/response/error/code").asText());
        assertEquals("Hi", failed.at("/response/output/0/content/0/text").asText());
    }

    private static StreamEvent.WireFrame frame(String event, String data, int covers) {
        return new StreamEvent.WireFrame(Dialect.OPENAI_RESPONSES, event, data, covers);
    }

    private static JsonNode parse(String data) {
        try {
            return Json.MAPPER.readTree(data);
        } catch (Exception e) {
            throw new AssertionError(data, e);
        }
    }
}
