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
     * Any other answer: a 404 (a provider without a list of models), a 5xx, a 429, garbage. The key is neither
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

    /** Its name in metrics, events and status: {@code ok}, {@code auth_failed}, {@code unreachable}, {@code error}. */
    public String wireName() {
        return wireName;
    }

    /** Whether a rung whose keys all end like this can never serve: its keys are refused or nothing answers. */
    public boolean fatal() {
        return this == AUTH_FAILED || this == UNREACHABLE;
    }
}
