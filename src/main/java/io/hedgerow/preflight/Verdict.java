package io.hedgerow.preflight;

import io.hedgerow.model.FailureKind;

/** What one live check found, in four classes: what an operator must do differs for each. */
public enum Verdict {
    /** The provider answered and accepted the key. */
    OK("ok"),
    /** The key was refused (401/403, or billing and quota refusals): expired, revoked, unpaid, mistyped. */
    AUTH_FAILED("auth_failed"),
    /** No answer: connection refused or reset, DNS, TLS, or nothing within the timeout. The base URL is suspect. */
    UNREACHABLE("unreachable"),
    /**
     * Answered 404 both for the list of models and for a chat request: nothing is where the config points, so the
     * base URL's path is wrong (for OpenAI-compatible APIs it includes the version, e.g. {@code /v1}).
     */
    NOT_FOUND("not_found"),
    /**
     * Any other answer: a 404 from a server that has a chat endpoint but no list of models, a 5xx, a 429, garbage. The key is neither
     * proven nor refused, so nothing follows from it.
     */
    ERROR("error");

    private final String wireName;

    Verdict(String wireName) {
        this.wireName = wireName;
    }

    /** The verdict a failure of this kind means. */
    public static Verdict of(FailureKind kind) {
        return switch (kind) {
            case AUTH -> AUTH_FAILED;
            case CONNECTION, TIMEOUT -> UNREACHABLE;
            default -> ERROR;
        };
    }

    /**
     * Its name in metrics, events and status: {@code ok}, {@code auth_failed}, {@code unreachable}, {@code not_found},
     * {@code error}.
     */
    public String wireName() {
        return wireName;
    }

    /** Whether a rung whose keys all end like this can never serve: its keys are refused, or nothing answers there. */
    public boolean fatal() {
        return this == AUTH_FAILED || this == UNREACHABLE || this == NOT_FOUND;
    }
}
