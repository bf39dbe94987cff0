package io.hedgerow.api;

import io.hedgerow.model.Failure;

/**
 * What a client is told when its stream fails after it started, in OpenAI's terms ({@link ErrorFormat} turns them
 * into each dialect's): always a 502 {@code upstream_error}, its code saying how.
 */
final class StreamErrors {
    private StreamErrors() {
    }

    /** The answer broke and could not be finished. */
    static ApiException of(Failure failure) {
        String code = switch (failure.kind()) {
            case TIMEOUT -> "upstream_timeout";
            case CANCELLED -> "cancelled";
            case SHUTDOWN -> "shutting_down";
            default -> "upstream_stream_broken";
        };
        return new ApiException(502, "upstream_error", code,
                                "the answer was interrupted: " + failure.summary() + ": " + failure.message());
    }

    /** The upstream's stream ended without finishing the answer. */
    static ApiException incomplete() {
        return new ApiException(502, "upstream_error", "upstream_stream_incomplete",
                                "the upstream stream ended without finishing the answer");
    }
}
