package io.hedgerow.observe;

import io.hedgerow.exec.AttemptRecord;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Usage;
import io.hedgerow.tune.RequestSample;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One request's attempts as {@code hedgerow tune} replays them: each attempt of the race that decided the request,
 * with when it started and how long it ran, then the usage the provider reported. Attempts of later races (a broken
 * stream resumed elsewhere) are not hedging's and are left out. Fed on the request's thread; its methods lock
 * briefly, so a stray call from elsewhere is safe.
 */
final class RequestTrace {
    private static final int MAX_ATTEMPTS = 16;

    private final List<Attempt> attempts = new ArrayList<>(2);
    private boolean decided;
    private Usage usage;

    private static final class Attempt {
        final int number;
        final String candidate;
        final String role;
        final long startNanos;
        long elapsedNanos = -1;
        RequestSample.Outcome outcome = RequestSample.Outcome.FAILED;

        Attempt(int number, String candidate, String role, long startNanos) {
            this.number = number;
            this.candidate = candidate;
            this.role = role;
            this.startNanos = startNanos;
        }
    }

    /** Attempt {@code number} started, {@code sinceRequest} after the request arrived. */
    synchronized void started(int number, AttemptRecord attempt, long sinceRequest) {
        if (!decided && attempts.size() < MAX_ATTEMPTS) {
            attempts.add(new Attempt(number, attempt.candidate().label(), attempt.role().wireName(), sinceRequest));
        }
    }

    /** Attempt {@code number} ended after {@code elapsedNanos}: answered, cut off, or failed. */
    synchronized void ended(int number, AttemptRecord attempt, long elapsedNanos) {
        if (decided) {
            return;
        }
        for (Attempt a : attempts) {
            if (a.number == number) {
                a.elapsedNanos = elapsedNanos;
                a.outcome = attempt.failure().map(f -> outcome(f.kind())).orElse(RequestSample.Outcome.OK);
                return;
            }
        }
    }

    /** The race is decided: what follows belongs to other races. */
    synchronized void decided() {
        decided = true;
    }

    synchronized void usage(Usage reported) {
        usage = reported;
    }

    private static RequestSample.Outcome outcome(FailureKind kind) {
        return switch (kind) {
            case CANCELLED, SHUTDOWN -> RequestSample.Outcome.CANCELLED;
            case TIMEOUT -> RequestSample.Outcome.TIMEOUT;
            default -> RequestSample.Outcome.FAILED;
        };
    }

    /** The sample, when an attempt was made. */
    synchronized Optional<RequestSample> sample(long atMillis, String route, boolean stream, long estimatedTokens) {
        if (attempts.isEmpty()) {
            return Optional.empty();
        }
        List<RequestSample.Attempt> list = new ArrayList<>(attempts.size());
        for (Attempt a : attempts) {
            list.add(new RequestSample.Attempt(a.candidate, a.role, a.startNanos / 1e6,
                                               a.elapsedNanos < 0 ? Double.NaN : a.elapsedNanos / 1e6, a.outcome));
        }
        long prompt = usage != null ? usage.promptTokens() : estimatedTokens;
        OptionalInt cached = usage != null && usage.cachedTokens().isPresent()
                ? OptionalInt.of(usage.cachedTokens().get()) : OptionalInt.empty();
        return Optional.of(new RequestSample(atMillis, route, stream, prompt, estimatedTokens, cached, list));
    }
}
