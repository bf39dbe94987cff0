package io.hedgerow.preflight;

import io.hedgerow.config.Checks;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.provider.ModelListing;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;
import io.hedgerow.time.Ticker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs live checks: each {@link Target} is asked for its provider's list of models ({@link ProviderClient#listModels})
 * on a virtual thread of its own, all at once, so a round takes as long as its slowest check, and never much longer
 * than {@code timeout}.
 *
 * <h2>Bounds</h2>
 * Each check is bounded by {@code timeout} twice: the HTTP client gives up waiting for an answer (or for the next
 * bytes of one) after it, and the round as a whole gives up at {@code timeout} + {@link #GRACE} — a check still
 * running then (a connect that hangs, an answer that trickles in) is interrupted and counted as unreachable, "no
 * answer within" the timeout. The grace lets the client's own timeout, with its more precise message, win when it
 * can.
 *
 * <p>Stateless; safe to call from any thread.
 */
public final class Preflight {
    /** How long past the timeout a round waits for checks before it abandons them. */
    static final Duration GRACE = Duration.ofSeconds(1);

    private Preflight() {
    }

    /**
     * Checks every target at once and returns their results in the same order.
     *
     * @param targets what to check
     * @param clients the provider clients, by provider name (a target whose provider has none fails as an error)
     * @param timeout the longest one check may take
     * @param ticker  real time, for the round's deadline and each check's duration (the wait is for threads)
     * @param clock   wall-clock time, for when each check was made
     */
    public static List<CheckResult> run(List<Target> targets, Map<String, ProviderClient> clients, Duration timeout,
                                        Ticker ticker, Clock clock) {
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(clients, "clients");
        Objects.requireNonNull(timeout, "timeout");
        long started = ticker.read();
        Instant at = clock.instant();
        List<CompletableFuture<CheckResult>> futures = new ArrayList<>(targets.size());
        List<Thread> threads = new ArrayList<>(targets.size());
        for (Target target : targets) {
            CompletableFuture<CheckResult> future = new CompletableFuture<>();
            ProviderClient client = clients.get(target.provider());
            // The thread's name carries the key's label only.
            threads.add(Thread.ofVirtual().name("hedgerow-preflight-" + target).start(
                    () -> future.complete(check(target, client, timeout, ticker, at))));
            futures.add(future);
        }
        long deadline = started + timeout.toNanos() + GRACE.toNanos();
        List<CheckResult> results = new ArrayList<>(targets.size());
        boolean interrupted = false;
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            try {
                long left = interrupted ? 0 : Math.max(0, deadline - ticker.read());
                results.add(futures.get(i).get(left, TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                threads.get(i).interrupt();
                results.add(CheckResult.failed(target, Failure.of(FailureKind.TIMEOUT, "no answer within "
                        + Checks.human(timeout)), at, Duration.ofNanos(ticker.read() - started)));
            } catch (InterruptedException e) {
                // The round itself is being stopped (shutdown): abandon what is left, say so, keep the flag.
                interrupted = true;
                threads.get(i).interrupt();
                results.add(CheckResult.failed(target, Failure.of(FailureKind.CANCELLED, "check abandoned"), at,
                                               Duration.ofNanos(ticker.read() - started)));
            } catch (ExecutionException e) {
                results.add(CheckResult.failed(target, Failure.of(FailureKind.BAD_RESPONSE, "check failed: "
                        + e.getCause().getClass().getSimpleName()), at, Duration.ofNanos(ticker.read() - started)));
            }
        }
        if (interrupted) {
            threads.forEach(Thread::interrupt);
            Thread.currentThread().interrupt();
        }
        return List.copyOf(results);
    }

    /**
     * The list of models answered 404: either the server lists no models (some OpenAI-compatible servers), or the
     * base URL's path is wrong. An empty chat request tells them apart without generating anything: refused as a bad
     * request there, the endpoint exists; 404 there too, nothing is where the config points.
     */
    private static CheckResult afterNotFound(Target target, ProviderClient client, Failure listing, Duration timeout,
                                             Ticker ticker, Instant at, long started) {
        Optional<Integer> chat;
        try {
            chat = client.chatEndpointStatus(target.key(), timeout);
        } catch (ProviderException | RuntimeException e) {
            chat = Optional.empty();
        }
        Duration took = Duration.ofNanos(ticker.read() - started);
        if (chat.isPresent() && (chat.get() == 404 || chat.get() == 405)) {
            return CheckResult.failed(target, Verdict.NOT_FOUND, new Failure(FailureKind.NOT_FOUND, chat.get(),
                    "nothing at " + target.baseUrl().map(Object::toString).orElse("the base-url")
                            + ": 404 for the list of models and " + chat.get() + " for a chat request (a wrong "
                            + "base-url path? an OpenAI-compatible one includes the version, e.g. /v1)",
                    Optional.empty()), at, took);
        }
        String more = chat.map(status -> " (its chat endpoint answers: " + status + " to an empty request)").orElse("");
        return CheckResult.failed(target, new Failure(listing.kind(), listing.status(),
                "no list of models here" + more, listing.retryAfter()), at, took);
    }

    private static CheckResult check(Target target, ProviderClient client, Duration timeout, Ticker ticker,
                                     Instant at) {
        long started = ticker.read();
        if (client == null) {
            return CheckResult.failed(target, Failure.of(FailureKind.BAD_REQUEST, "no client for provider '"
                    + target.provider() + "'"), at, Duration.ZERO);
        }
        try {
            ModelListing listing = client.listModels(target.key(), timeout);
            return CheckResult.ok(target, listing, at, Duration.ofNanos(ticker.read() - started));
        } catch (ProviderException e) {
            if (e.failure().kind() == FailureKind.NOT_FOUND) {
                return afterNotFound(target, client, e.failure(), timeout, ticker, at, started);
            }
            return CheckResult.failed(target, e.failure(), at, Duration.ofNanos(ticker.read() - started));
        } catch (RuntimeException e) {
            // An adapter's bug, not the provider's answer: named by its class only (a message might carry anything).
            return CheckResult.failed(target, Failure.of(FailureKind.BAD_RESPONSE, "check failed: "
                    + e.getClass().getSimpleName()), at, Duration.ofNanos(ticker.read() - started));
        }
    }
}
