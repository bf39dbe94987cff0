package io.hedgerow.exec;

import io.hedgerow.model.FailureKind;

/**
 * Which failures send a request on to the next candidate. Failures that are the request's own fault (a
 * malformed request, content refused by policy) would fail the same way everywhere, so they go back to the
 * client at once.
 */
public final class FailoverPolicy {

    private FailoverPolicy() {
    }

    /** Whether a failure of this class lets the next candidate try. */
    public static boolean movesOn(FailureKind kind) {
        return switch (kind) {
            case RATE_LIMITED, SERVER_ERROR, CONNECTION, TIMEOUT, AUTH, BAD_RESPONSE, CONTEXT_LENGTH -> true;
            case BAD_REQUEST, CONTENT_FILTER, CANCELLED -> false;
        };
    }
}
