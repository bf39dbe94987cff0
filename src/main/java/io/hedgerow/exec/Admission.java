package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.Checks;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.health.CircuitBreaker;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether one candidate may be called now for one request, and if not, why: a typed {@link SkipReason} with a
 * detail for people. Cheap checks first (the prompt fits its declared context window, its breaker is not open),
 * then a key that is not cooling down, then the places that cost something to take (the provider's bulkhead, the
 * breaker's permit), which {@link #admit} takes together or not at all. Confined to the race's thread.
 */
final class Admission {
    private final HealthRegistry health;
    private final Bulkheads bulkheads;
    private final long promptTokens;
    /** After a context-length refusal: candidates declaring no larger a window cannot hold the prompt either. */
    private long contextCeiling = -1;

    Admission(HealthRegistry health, Bulkheads bulkheads, long promptTokens) {
        this.health = health;
        this.bulkheads = bulkheads;
        this.promptTokens = promptTokens;
    }


    /** What admission decided. */
    sealed interface Verdict {
    }

    /**
     * The call may go: {@code permit} is the breaker's and {@code place} the bulkhead's; the attempt hands each its
     * outcome, and gives the place back when the exchange is over.
     */
    record Admitted(CircuitBreaker.Permit permit, Bulkheads.Place place) implements Verdict {
    }

    /** The candidate is passed over. */
    record Refused(SkipReason reason, String detail) implements Verdict {
        Refused {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** The checks that cost nothing: the prompt fits, the breaker is not open. Empty when they pass. */
    Optional<Refused> precheck(Slot slot) {
        Optional<Integer> window = slot.candidate.provider().contextWindow(slot.candidate.model());
        if (window.isPresent() && (promptTokens > window.get() || window.get() <= contextCeiling)) {
            return Optional.of(new Refused(SkipReason.CONTEXT_WINDOW, promptTokens > window.get()
                    ? "prompt ~" + promptTokens + " tokens > context window " + window.get()
                    : "context window " + window.get() + " too small after a context-length error"));
        }
        Optional<Duration> retryIn = slot.health.breaker().retryIn();
        if (retryIn.isPresent() && !retryIn.get().isZero()) {
            return Optional.of(new Refused(SkipReason.BREAKER_OPEN, "breaker open, retry in " + Checks.human(retryIn.get())));
        }
        return Optional.empty();
    }

    /** The candidate refused the prompt as too long: windows no larger than its declared one are skipped from now. */
    void contextTooLong(Slot slot) {
        contextCeiling = Math.max(contextCeiling,
                                  slot.candidate.provider().contextWindow(slot.candidate.model()).orElse(-1));
    }

    /**
     * A key for the candidate, preferring one not yet tried in this request: empty when its provider takes no keys,
     * a refusal when every key is cooling down.
     */
    KeyChoice key(Slot slot) {
        List<ApiKey> keys = slot.candidate.provider().keys();
        if (keys.isEmpty()) {
            return new KeyChoice(Optional.empty(), Optional.empty());
        }
        Optional<ApiKey> key = health.keys().pick(keys, slot.triedKeys, slot.candidate.provider().keyRotation());
        if (key.isPresent()) {
            return new KeyChoice(key, Optional.empty());
        }
        return new KeyChoice(Optional.empty(), Optional.of(new Refused(SkipReason.KEYS_COOLING, "every key cooling down"
                + health.keys().nextAvailableIn(keys).map(d -> ", next in " + Checks.human(d)).orElse(""))));
    }

    /** A key to call with (empty for keyless providers), or why there is none. */
    record KeyChoice(Optional<ApiKey> key, Optional<Refused> refused) {
    }

    /** Whether the provider has a key not yet tried in this request and not cooling down. */
    boolean otherKeyAvailable(Slot slot) {
        for (ApiKey key : slot.candidate.provider().keys()) {
            if (!slot.triedKeys.contains(key) && health.keys().available(key)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Takes a place in the provider's bulkhead and a permit from the candidate's breaker, both or neither. A full
     * bulkhead skips the candidate at no cost, as an open breaker does: it never queues.
     *
     * @param hedgeDelayNanos the candidate's hedge delay: how long before its attempt counts as overdue
     * @param streaming       whether the attempt streams (its first token is what it waits for)
     */
    Verdict admit(Slot slot, long hedgeDelayNanos, boolean streaming) {
        ProviderConfig provider = slot.candidate.provider();
        Optional<Bulkheads.Place> place = bulkheads.tryAcquire(provider, hedgeDelayNanos, streaming);
        if (place.isEmpty()) {
            return new Refused(SkipReason.BULKHEAD, "bulkhead full");
        }
        Optional<CircuitBreaker.Permit> permit = slot.health.breaker().acquire();
        if (permit.isEmpty()) {
            place.get().release();
            return new Refused(SkipReason.BREAKER_OPEN, "breaker open");
        }
        return new Admitted(permit.get(), place.get());
    }

    /**
     * Why a request found nothing to call (every candidate skipped): an {@code UNAVAILABLE} with the soonest time any
     * of them can be tried again, for the client's {@code Retry-After}.
     */
    Failure unavailable(String alias, Lineup lineup) {
        Optional<Duration> soonest = Optional.empty();
        for (Slot slot : lineup.slots()) {
            for (Optional<Duration> wait : List.of(slot.health.breaker().retryIn(),
                                                   health.keys().nextAvailableIn(slot.candidate.provider().keys()))) {
                if (wait.isPresent() && (soonest.isEmpty() || wait.get().compareTo(soonest.get()) < 0)) {
                    soonest = wait;
                }
            }
        }
        return new Failure(FailureKind.UNAVAILABLE, 0, "no candidate of '" + alias + "' can be tried now", soonest);
    }
}
