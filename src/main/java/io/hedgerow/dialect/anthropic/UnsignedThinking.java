package io.hedgerow.dialect.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Takes out of a Messages request the {@code thinking} blocks that carry no signature, before it goes to Anthropic as
 * written.
 *
 * <p>Reasoning from a provider of another dialect is shown to a Messages client as a {@code thinking} block with an
 * empty signature (no other dialect signs it). When the client sends its history back and the turn goes to Anthropic
 * (a fallback, or the client changing models), Anthropic refuses the whole request over that block's signature. The
 * block was never Anthropic's, so it goes; the rest of the request is kept. If that leaves the last assistant turn, in
 * the middle of a tool loop, without the thinking block Anthropic requires there while thinking is on, thinking is
 * turned off for this request rather than refused: the answer comes without thinking. Requests without such a block
 * (every request that stayed with Anthropic) are left as their bytes.
 */
public final class UnsignedThinking {
    private UnsignedThinking() {
    }

    /** The request without its unsigned thinking blocks, or empty when it has none. */
    public static Optional<byte[]> strip(JsonNode body) {
        JsonNode turns = body.path("messages");
        if (!turns.isArray() || !any(turns)) {
            return Optional.empty();
        }
        ObjectNode copy = body.deepCopy();
        ArrayNode messages = (ArrayNode) copy.get("messages");
        boolean seenAssistant = false;
        boolean lastLostItsThinking = false;
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode turn = messages.get(i);
            if (!turn.path("role").asText().equals("assistant")) {
                continue;
            }
            boolean last = !seenAssistant;
            seenAssistant = true;
            if (!(turn.path("content") instanceof ArrayNode blocks)) {
                continue;
            }
            boolean removed = false;
            for (int j = blocks.size() - 1; j >= 0; j--) {
                if (unsigned(blocks.get(j))) {
                    blocks.remove(j);
                    removed = true;
                }
            }
            if (last) {
                lastLostItsThinking = removed && !startsWithThinking(blocks) && hasToolUse(blocks);
            }
            if (blocks.isEmpty() && i < messages.size() - 1) {
                // A turn that was nothing but shown reasoning; Anthropic joins the user turns on either side.
                messages.remove(i);
            }
        }
        if (lastLostItsThinking) {
            copy.remove("thinking");
        }
        try {
            return Optional.of(Json.MAPPER.writeValueAsBytes(copy));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean any(JsonNode turns) {
        for (JsonNode turn : turns) {
            if (turn.path("role").asText().equals("assistant")) {
                for (JsonNode block : turn.path("content")) {
                    if (unsigned(block)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean unsigned(JsonNode block) {
        return block.path("type").asText().equals("thinking") && block.path("signature").asText("").isEmpty();
    }

    private static boolean startsWithThinking(ArrayNode blocks) {
        if (blocks.isEmpty()) {
            return false;
        }
        String type = blocks.get(0).path("type").asText();
        return type.equals("thinking") || type.equals("redacted_thinking");
    }

    private static boolean hasToolUse(ArrayNode blocks) {
        for (JsonNode block : blocks) {
            if (block.path("type").asText().equals("tool_use")) {
                return true;
            }
        }
        return false;
    }
}
