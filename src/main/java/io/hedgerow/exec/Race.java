package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.route.RoutePlan;
import io.hedgerow.route.RoutePolicy;
import io.hedgerow.time.Deadline;
import io.hedgerow.time.Ticker;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * One request's attempts and the loop that decides between them. Confined to the request's thread; attempts run
 * on threads of their own ({@link AttemptBody}) and report through the race's {@link Inbox}.
 *
 * <p>The loop, until an attempt wins or nothing is left to try:
 * <ol>
 *     <li>Candidates are tried in the {@link Lineup}'s order (slow ones behind the others); {@link Admission}
 *     passes over, with a typed reason, a candidate whose breaker is open, whose keys are all cooling down, whose
 *     declared context window cannot hold the prompt, or whose provider's bulkhead is full.</li>
 *     <li>A failure is handed to the {@link RetryPolicy}: another key now, the same candidate after a wait (the
 *     {@link RetryScheduler} holds it until it is due and there is room), the next candidate now, or stop.</li>
 *     <li>While the attempt the {@link HedgeTimer} was armed for is still running without a first token when the
 *     timer is due, the next candidate (preferably on another provider) is started beside it, if fewer than
 *     {@code max-in-flight} attempts run and the hedge budget allows; the allowance goes back when nothing could be
 *     started.</li>
 *     <li>A candidate moved back for slowness is probed beside the request, to keep measuring it ({@link Prober}).</li>
 * </ol>
 * The first attempt to produce a token (or a whole answer) wins; the others are cancelled at once, except a probe,
 * which is left to finish measuring. A failure never wins: one that would stop the chain (a request the provider
 * refused) ends the request only once no other attempt is running or waiting to retry; until then it only closes
 * its own candidate. The {@link Journal} keeps what happened and tells observers; the {@link Picker} says which
 * candidate is next; the {@link Settlement} ends the race.
 */
final class Race {
    private static final long BACKSTOP_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Job<?> job;
    private final RoutePlan plan;
    private final RoutePolicy policy;
    private final boolean streaming;
    private final Deadline deadline;
    private final RaceTime time;
    private final Ticker ticker;
    private final StallWatchdog watchdog;
    private final HealthRegistry health;
    private final RetryPolicy retryPolicy;
    private final Inbox inbox;
    private final Lineup lineup;
    private final Admission admission;
    private final Journal journal;
    private final HedgeTimer hedgeTimer = new HedgeTimer();
    private final RetryScheduler retries = new RetryScheduler();
    private final Running running;
    private final Picker picker;
    private final Settlement settlement;
    private final Prober prober;
    private final HedgeCosts costs;
    private int attempts;
    /** A failure that would have ended the request while a sibling still ran: it ends it once none is left. */
    private Failure stopped;

    Race(Job<?> job, RoutePlan plan, boolean streaming, Duration timeout, RaceTime time,
         StallWatchdog watchdog, HealthRegistry health, RetryPolicy retryPolicy, RandomGenerator random,
         ExecutionListener listener, Bulkheads bulkheads) {
        this.job = job;
        this.plan = plan;
        this.policy = plan.policy();
        this.streaming = streaming;
        this.time = time;
        this.ticker = time.ticker();
        this.deadline = Deadline.after(ticker, timeout);
        this.watchdog = watchdog;
        this.health = health;
        this.retryPolicy = retryPolicy;
        this.inbox = time.inbox();
        this.lineup = new Lineup(plan, health, streaming);
        this.admission = new Admission(health, bulkheads, job.promptTokens());
        this.journal = new Journal(plan.alias(), listener);
        this.running = new Running(policy.hedge());
        this.picker = new Picker(lineup, admission, journal, running, policy);
        this.settlement = new Settlement(journal, inbox, running, watchdog, retries, hedgeTimer, streaming);
        this.costs = HedgeCosts.of(job);
        this.prober = new Prober(lineup, picker, admission, health, costs, policy, random, streaming);
    }

    /** Runs the race; returns the winning signal ({@link AttemptSignal.Answered} or {@link AttemptSignal.Producing}). */
    AttemptSignal run() throws ChainFailedException {
        health.budget().onRequest(lineup.isEmpty() ? 0 : costs.of(lineup.first().candidate));
        try {
            prober.maybeProbe((slot, key) -> launch(slot, AttemptRole.PROBE, key));
            startNext(AttemptRole.PRIMARY);
            while (true) {
                long now = ticker.read();
                startDueRetries(now);
                hedgeIfDue(now);
                if (running.isEmpty() && retries.isEmpty()) {
                    if (stopped != null) {
                        throw chainFailed(stopped);
                    }
                    if (!startNext(AttemptRole.FALLBACK)) {
                        throw chainFailed(journal.decisive(() -> admission.unavailable(plan.alias(), lineup)));
                    }
                    continue;
                }
                Optional<AttemptSignal> signal = inbox.take(wakeAt(now));
                if (signal.isEmpty()) {
                    if (deadline.remainingNanos() < -BACKSTOP_NANOS) {
                        // The watchdog ends overdue attempts; this is the backstop should one ignore its abort.
                        throw chainFailed(Failure.of(FailureKind.TIMEOUT, "no answer within the request deadline"));
                    }
                    continue;
                }
                if (signal.get() instanceof AttemptSignal.Failed failed) {
                    onFailure(failed.attempt(), failed.failure());
                } else {
                    settlement.settle(signal.get(), Failure.of(FailureKind.CANCELLED, "another attempt won"));
                    return signal.get();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw chainFailed(Failure.of(FailureKind.CANCELLED, "request cancelled"));
        }
    }

    /** One record per candidate tried or skipped, in the order it happened; the winner's without failure. */
    List<AttemptRecord> records(Attempt winner) {
        return journal.records(winner);
    }

    // ---- decisions ----

    private void onFailure(Attempt attempt, Failure failure) throws ChainFailedException {
        running.remove(attempt);
        watchdog.unwatch(attempt);
        hedgeTimer.ended(attempt);
        attempt.failed(failure);
        journal.failed(attempt, failure);
        if (attempt.role() == AttemptRole.PROBE) {
            return;
        }
        Slot slot = lineup.slotOf(attempt);
        RetryPolicy.Decision decision = retryPolicy.decide(failure, slot.attempts, admission.otherKeyAvailable(slot),
                                                           deadline.remainingNanos(), policy.retry(),
                                                           policy.routeAroundContentFilter());
        switch (decision) {
        case RetryPolicy.Decision.Stop stop -> {
            if (running.isEmpty() && retries.isEmpty()) {
                throw chainFailed(failure);
            }
            // A failure never wins while a sibling may still answer: this candidate is done, nothing new starts.
            slot.closed = true;
            if (stopped == null) {
                stopped = failure;
            }
        }
        case RetryPolicy.Decision.NextKey next -> {
            Admission.KeyChoice key = admission.key(slot);
            if (key.key().isEmpty() || !launch(slot, AttemptRole.RETRY, key.key())) {
                startNextIfRoom();
            }
        }
        case RetryPolicy.Decision.Retry retry ->
                retries.schedule(slot, attempt.key(), ticker.read() + retry.after().toNanos());
        case RetryPolicy.Decision.NextCandidate next -> {
            if (failure.kind() == FailureKind.CONTEXT_LENGTH) {
                admission.contextTooLong(slot);
            }
            startNextIfRoom();
        }
        }
    }

    private void startNextIfRoom() {
        if (stopped == null && running.room()) {
            startNext(AttemptRole.FALLBACK);
        }
    }

    /** Due retries start while there is room for them; the others wait for a running attempt to end. */
    private void startDueRetries(long now) {
        while (running.room()) {
            Optional<RetryScheduler.Retry> due = retries.takeDue(now);
            if (due.isEmpty()) {
                return;
            }
            if (deadline.passed() || !launch(due.get().slot(), AttemptRole.RETRY, due.get().key())) {
                startNextIfRoom();
            }
        }
    }

    private void hedgeIfDue(long now) {
        Optional<Attempt> slow = hedgeTimer.fire(now);
        if (slow.isEmpty() || !running.contains(slow.get()) || !running.room()) {
            return;
        }
        Optional<Slot> target = picker.next(true);
        if (target.isEmpty()) {
            return;
        }
        double cost = costs.of(target.get().candidate);
        if (!health.budget().tryWithdraw(cost)) {
            journal.hedgeRefused();
            return;
        }
        if (!startNext(AttemptRole.HEDGE)) {
            health.budget().refund(cost);
        }
    }

    /** Starts the next admissible candidate; false when none is left (or the deadline has passed). */
    private boolean startNext(AttemptRole role) {
        while (!deadline.passed()) {
            Optional<Slot> slot = picker.next(role == AttemptRole.HEDGE);
            if (slot.isEmpty()) {
                return false;
            }
            Admission.KeyChoice key = admission.key(slot.get());
            if (key.refused().isPresent()) {
                picker.skip(slot.get(), key.refused().get());
                continue;
            }
            // The first call, made after candidates were skipped (breaker open, keys cooling), serves as a fallback:
            // metrics, events and the winner header all say so.
            AttemptRole launched = role == AttemptRole.PRIMARY && journal.anyConsidered() ? AttemptRole.FALLBACK : role;
            if (launch(slot.get(), launched, key.key())) {
                return true;
            }
        }
        return false;
    }

    // ---- attempts ----

    private boolean launch(Slot slot, AttemptRole role, Optional<ApiKey> key) {
        // The share of requests the budget can hedge, smaller when the hedge costs more than its request.
        double share = health.budget().affordableShare(costs.of(slot.candidate), picker.hedgeCost(slot, costs));
        // The delay is what is usual for a prompt of this size on this candidate, in its own tokens.
        Attempt.Size size = new Attempt.Size(costs.promptTokens(),
                                             slot.health.calibration().tokens(costs.promptTokens()));
        OptionalLong delay = HedgeDelay.nanos(policy.hedge(), slot.health.sized(streaming), size.tokens(), share);
        Admission.Verdict verdict = admission.admit(slot, delay.orElse(Long.MAX_VALUE), streaming);
        if (verdict instanceof Admission.Refused refused) {
            picker.skip(slot, refused);
            return false;
        }
        Admission.Admitted admitted = (Admission.Admitted) verdict;
        slot.started = true;
        slot.attempts++;
        key.ifPresent(slot.triedKeys::add);
        Attempt attempt = new Attempt(++attempts, role, slot.candidate, slot.health, health.keys(), key, streaming,
                                      ticker, deadline, delay.orElse(Long.MAX_VALUE), admitted.permit(),
                                      admitted.place(), size);
        running.add(attempt);
        journal.started(attempt);
        watchdog.watch(attempt);
        time.start("attempt-" + slot.candidate.label(), new AttemptBody(attempt, job, streaming, inbox, watchdog));
        if (role != AttemptRole.PROBE) {
            armHedge(attempt, delay);
        }
        return true;
    }

    private void armHedge(Attempt attempt, OptionalLong delay) {
        if (!policy.hedge().enabled() || !running.room()) {
            hedgeTimer.disarm();
            return;
        }
        if (delay.isPresent()) {
            hedgeTimer.arm(attempt, ticker.read() + delay.getAsLong());
        } else {
            hedgeTimer.disarm();
        }
    }

    private ChainFailedException chainFailed(Failure decisive) {
        settlement.settle(null, decisive.kind() == FailureKind.TIMEOUT ? decisive
                : Failure.of(FailureKind.CANCELLED, "chain stopped"));
        return new ChainFailedException(plan.alias(), records(null), decisive);
    }

    /** The ticker time the race next has something to do: a hedge, a retry it has room for, or the backstop. */
    private long wakeAt(long now) {
        long until = deadline.atNanos() + BACKSTOP_NANOS;
        OptionalLong retry = retries.nextDue();
        if (retry.isPresent() && running.room()) {
            until = Math.min(until, retry.getAsLong());
        }
        OptionalLong hedge = hedgeTimer.due();
        if (hedge.isPresent()) {
            until = Math.min(until, hedge.getAsLong());
        }
        return Math.max(until, now);
    }
}
