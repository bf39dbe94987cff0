package io.hedgerow.state;

import java.util.Objects;
import java.util.Optional;

/**
 * One Responses API answer as kept for its conversation: its own input items and output items (the conversation is
 * these, after those of the response it continues), and the response object for {@code GET /v1/responses/{id}}. All
 * as JSON bytes, so that the store can hold them compactly and a shared store can hold them as they are.
 *
 * @param id         the response's id
 * @param previousId the response it continues, if it does
 * @param input      its request's input items, a JSON array
 * @param output     its output items, a JSON array
 * @param response   the whole response object
 */
public record StoredResponse(String id, Optional<String> previousId, byte[] input, byte[] output, byte[] response) {
    public StoredResponse {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(previousId, "previousId");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(response, "response");
    }

    /** What it takes of the store's memory, about: its bytes and its id. */
    public long size() {
        return input.length + output.length + response.length + 2L * id.length() + 64;
    }
}
