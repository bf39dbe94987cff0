package io.hedgerow.preflight;

import io.hedgerow.config.Checks;
import io.hedgerow.model.Failure;
import io.hedgerow.provider.ModelListing;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of one live check of one {@link Target}. Carries no key value: the failure's message was redacted by
 * the provider layer, and the target names its key by label.
 *
 * @param target    what was checked
 * @param verdict   ok, auth failed, unreachable, or another error
 * @param failure   why it was not ok (empty when ok)
 * @param listing   the models listed, when the check was ok and the answer listed them
 * @param checkedAt when the check started
 * @param took      how long it took
 */
public record CheckResult(Target target, Verdict verdict, Optional<Failure> failure, ModelListing listing,
                          Instant checkedAt, Duration took) {
    public CheckResult {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(listing, "listing");
        Objects.requireNonNull(checkedAt, "checkedAt");
        Objects.requireNonNull(took, "took");
        if (verdict == Verdict.OK == failure.isPresent()) {
            throw new IllegalArgumentException("a failure goes with every verdict but ok, and only with those");
        }
    }

    static CheckResult ok(Target target, ModelListing listing, Instant checkedAt, Duration took) {
        return new CheckResult(target, Verdict.OK, Optional.empty(), listing, checkedAt, took);
    }

    static CheckResult failed(Target target, Failure failure, Instant checkedAt, Duration took) {
        return failed(target, Verdict.of(failure.kind()), failure, checkedAt, took);
    }

    static CheckResult failed(Target target, Verdict verdict, Failure failure, Instant checkedAt, Duration took) {
        return new CheckResult(target, verdict, Optional.of(failure), ModelListing.unlisted(), checkedAt, took);
    }

    /**
     * For people, one line: {@code 12 models listed}, {@code accepted (no list of models)}, or why it failed, e.g.
     * {@code 401 auth failed: Incorrect API key provided}, {@code connection failed: ConnectException: ...}.
     */
    public String detail() {
        if (failure.isEmpty()) {
            return listing.ids().map(ids -> ids.size() + " model" + (ids.size() == 1 ? "" : "s") + " listed")
                    .orElse("accepted (no list of models)");
        }
        Failure f = failure.get();
        return f.message().isEmpty() || f.message().equals(f.summary()) ? f.summary()
                : f.summary() + ": " + f.message();
    }

    /** A short form of {@link #took}, e.g. {@code 240ms}. */
    String tookText() {
        return Checks.human(Duration.ofMillis(took.toMillis()));
    }
}
