package io.hedgerow.observe;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.hedgerow.api.RequestObserver;
import io.hedgerow.config.Price;
import io.hedgerow.exec.AttemptRecord;
import io.hedgerow.exec.AttemptRole;
import io.hedgerow.exec.ChainFailedException;
import io.hedgerow.exec.ExecutionEvent;
import io.hedgerow.exec.ExecutionListener;
import io.hedgerow.exec.Served;
import io.hedgerow.health.CandidateHealth;
import io.hedgerow.health.HealthEvent;
import io.hedgerow.health.HealthListener;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.Usage;
import io.hedgerow.preflight.CheckResult;
import io.hedgerow.preflight.PreflightListener;
import io.hedgerow.preflight.PreflightReport;
import io.hedgerow.preflight.Round;
import io.hedgerow.preflight.Verdict;
import io.hedgerow.route.RoutePlan;
import io.hedgerow.state.StoreStatus;
import io.hedgerow.time.Ticker;
import io.hedgerow.tune.SampleLog;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where the request path reports, turned into metrics, cost, events and status samples. It is the API's
 * {@link RequestObserver} (a request's start, route, answer, usage, error and end), the executor's
 * {@link ExecutionListener} (each attempt, hedge and budget refusal) and the health registry's
 * {@link HealthListener} (breakers, cooldowns, demotions) and the live checks' {@link PreflightListener} (each
 * result, each round, the last of which {@code /status} shows). The request's id reaches the executor's and health's
 * callbacks through a {@link RequestContext} bound to the request's thread (and inherited by its attempts').
 *
 * <p>Latencies are read from the injected ticker: an attempt's start and end are both seen on the request's
 * thread, so no timing needs to travel through the executor.
 */
public final class Telemetry implements RequestObserver, ExecutionListener, HealthListener, PreflightListener {
    private final HedgerowMetrics metrics;
    private final EventLog events;
    private final Supplier<Generation> current;
    private final Ticker ticker;
    private final Labels labels;
    private final LatencyTrail trail = new LatencyTrail();
    private final SampleLog samples = new SampleLog(SampleLog.DEFAULT_CAPACITY);
    private volatile Optional<Round> lastPreflight = Optional.empty();
    private volatile Supplier<StoreStatus> state = () -> null;
    private volatile String configHash = "";

    public Telemetry(HedgerowMetrics metrics, EventLog events, Supplier<Generation> current, Ticker ticker,
                     int maxTags) {
        this.metrics = metrics;
        this.events = events;
        this.current = current;
        this.ticker = ticker;
        this.labels = new Labels(maxTags);
    }

    public EventLog events() {
        return events;
    }

    public HedgerowMetrics metrics() {
        return metrics;
    }

    LatencyTrail trail() {
        return trail;
    }

    /** Recent requests per route, for {@code hedgerow tune} and {@code /status/tune}. */
    public SampleLog samples() {
        return samples;
    }

    /** The last round of live checks that ran, for {@code /status}. */
    Optional<Round> lastPreflight() {
        return lastPreflight;
    }

    void maxTags(int limit) {
        labels.maxTags(limit);
    }

    // ---- the API: one request ----

    @Override
    public Exchange begin(String requestId, String api, Optional<String> tag) {
        RequestContext context = new RequestContext(requestId, api, labels.tag(tag), ticker.read(), current.get());
        context.enter();
        return new RequestExchange(context);
    }

    private final class RequestExchange implements Exchange {
        private final RequestContext context;

        RequestExchange(RequestContext context) {
            this.context = context;
        }

        @Override
        public void routed(RoutePlan plan, boolean stream, long promptTokens) {
            context.route = routeLabel(context.generation, plan.alias());
            context.stream = stream;
            context.promptTokens = promptTokens;
        }

        @Override
        public void served(Served<?> served) {
            context.trace.decided();
            String winner = served.servedBy().label();
            context.winner = winner;
            metrics.served(context.route, winner);
            AttemptRole role = served.winner().role();
            if (role == AttemptRole.HEDGE || role == AttemptRole.PROBE) {
                events.emit("hedge_won", Optional.of(context.requestId), e -> {
                    e.put("route", context.route).put("winner", winner).put("role", role.wireName());
                    ArrayNode beat = e.putArray("beat");
                    served.attempts().stream()
                            .filter(a -> a.called() && a.failure().isPresent())
                            .forEach(a -> beat.add(a.candidate().label()));
                    e.put("attempts", served.attemptsSummary());
                });
            } else if (served.fallbackReason().isPresent() && served.failedOver()) {
                String from = served.attempts().getFirst().candidate().label();
                events.emit("failover", Optional.of(context.requestId), e -> e
                        .put("route", context.route).put("from", from).put("to", winner)
                        .put("role", role.wireName()).put("reason", served.fallbackReason().get())
                        .put("attempts", served.attemptsSummary()));
            } else if (served.fallbackReason().isPresent()) {
                // The same candidate answered after a retry: not a failover.
                events.emit("retried", Optional.of(context.requestId), e -> e
                        .put("route", context.route).put("candidate", winner)
                        .put("reason", served.fallbackReason().get()).put("attempts", served.attemptsSummary()));
            }
        }

        @Override
        public void chainFailed(ChainFailedException failure) {
            context.trace.decided();
            events.emit("chain_failed", Optional.of(context.requestId), e -> {
                e.put("route", context.route).put("decisive", failure.decisive().summary())
                        .put("message", failure.getMessage());
                ArrayNode attempts = e.putArray("attempts");
                failure.attempts().forEach(a -> attempts.add(a.summary()));
            });
        }

        @Override
        public void completed(Optional<Usage> usage, long outputChars) {
            context.outcome = "ok";
            usage.ifPresent(context.trace::usage);
            String winner = context.winner;
            if (winner == null) {
                return;
            }
            Long started = context.attemptStarts.get(winner);
            if (started != null) {
                metrics.upstreamLatency(context.route, winner, context.stream, ticker.read() - started);
            }
            long input = usage.map(u -> (long) u.promptTokens()).orElse(context.promptTokens);
            long cached = usage.flatMap(Usage::cachedTokens).map(Integer::longValue).orElse(0L);
            long output = usage.map(u -> (long) u.completionTokens()).orElse((outputChars + 3) / 4);
            account(context, winner, "winner", input, cached, output);
        }

        @Override
        public void failed(int status, String code) {
            context.outcome = code;
        }

        @Override
        public void close() {
            try {
                String outcome = context.outcome == null ? "error" : context.outcome;
                metrics.routeRequest(context.route, context.api, outcome, context.stream,
                                     ticker.read() - context.startNanos);
                if (!context.route.equals(Labels.NO_ROUTE)) {
                    context.trace.sample(events.clock().millis(), context.route, context.stream, context.promptTokens)
                            .ifPresent(samples::add);
                }
            } finally {
                context.exit();
            }
        }
    }

    /**
     * Counts a call's tokens and prices them. {@code prompt} is every prompt token (OpenAI's meaning), {@code cached}
     * the part of it read from the provider's prompt cache: counted apart from the rest of the prompt and priced at
     * the model's cached-input price.
     */
    private void account(RequestContext context, String candidate, String attempt, long prompt, long cached,
                         long output) {
        long fromCache = Math.clamp(cached, 0, Math.max(0, prompt)); // a provider's odd report cannot go negative
        Optional<Price> price = context.generation.config().price(Labels.provider(candidate),
                                                                  Labels.model(candidate));
        metrics.tokens(context.route, candidate, context.tag, attempt, prompt - fromCache, fromCache, output,
                       price.map(p -> p.cost(prompt, fromCache, output)));
    }

    private static String routeLabel(Generation generation, String alias) {
        return generation.engine().router().routes().containsKey(alias) ? alias : Labels.DIRECT_ROUTE;
    }

    private String routeLabel(String alias) {
        return RequestContext.current().map(c -> c.route).filter(r -> !r.equals(Labels.NO_ROUTE))
                .orElseGet(() -> routeLabel(current.get(), alias));
    }

    // ---- the executor: attempts ----

    @Override
    public void onEvent(ExecutionEvent event) {
        switch (event) {
        case ExecutionEvent.AttemptStarted started -> {
            attemptStarted(started.route(), started.attempt());
            RequestContext.current().ifPresent(c -> c.trace.started(started.number(), started.attempt(),
                                                                    ticker.read() - c.startNanos));
        }
        case ExecutionEvent.AttemptEnded ended -> {
            attemptEnded(ended.route(), ended.attempt());
            RequestContext.current().ifPresent(c -> c.trace.ended(ended.number(), ended.attempt(),
                                                                  ended.elapsedNanos()));
        }
        case ExecutionEvent.CandidateSkipped skipped -> metrics.skipped(routeLabel(skipped.route()),
                                                                         skipped.record().candidate().label(),
                                                                         skipped.reason().label());
        case ExecutionEvent.HedgeRefused refused -> metrics.hedgeRefused(routeLabel(refused.route()));
        case ExecutionEvent.StreamResumed resumed -> streamResumed(resumed);
        }
    }

    private void attemptStarted(String route, AttemptRecord attempt) {
        String label = attempt.candidate().label();
        RequestContext.current().ifPresent(c -> c.attemptStarts.put(label, ticker.read()));
        metrics.attemptStarted(routeLabel(route), label, attempt.role().wireName());
    }

    private void attemptEnded(String route, AttemptRecord attempt) {
        String label = attempt.candidate().label();
        String routeLabel = routeLabel(route);
        String outcome = attempt.failure().map(f -> Labels.snake(f.kind())).orElse("ok");
        metrics.attemptEnded(routeLabel, label, attempt.role().wireName(), outcome);
        Optional<RequestContext> context = RequestContext.current();
        if (context.isEmpty()) {
            return;
        }
        Long started = context.get().attemptStarts.get(label);
        if (attempt.failure().isEmpty() && started != null) {
            long nanos = ticker.read() - started;
            trail.record(label, nanos);
            if (context.get().stream) {
                metrics.firstToken(routeLabel, label, nanos);
            }
            // Judged against what is usual for a prompt of this size on this candidate, in its own tokens.
            CandidateHealth health = context.get().generation.health().candidate(label);
            long tokens = health.calibration().tokens(context.get().promptTokens);
            health.sized(context.get().stream).slowdown(tokens, nanos)
                    .ifPresent(s -> metrics.slowdown(routeLabel, label, context.get().stream, s));
        } else if (attempt.failure().get().kind() == FailureKind.CANCELLED) {
            // Cancelled before answering: the provider has the prompt (and bills it) but reports no usage.
            // Nothing is known of its prompt cache: all of it counts (and is priced) as uncached input.
            account(context.get(), label, "loser", context.get().promptTokens, 0, 0);
        }
    }

    private void streamResumed(ExecutionEvent.StreamResumed resumed) {
        String routeLabel = routeLabel(resumed.route());
        String from = resumed.from().label();
        metrics.streamResumed(routeLabel, from, resumed.how());
        events.emit("stream_resumed", RequestContext.current().map(c -> c.requestId), e -> e
                .put("route", routeLabel).put("from", from).put("to", resumed.to().label())
                .put("delivered_tokens", resumed.deliveredTokens()).put("how", resumed.how()));
    }

    // ---- health ----

    @Override
    public void onEvent(HealthEvent event) {
        Optional<String> requestId = RequestContext.current().map(c -> c.requestId);
        switch (event) {
        case HealthEvent.BreakerTransition t -> {
            metrics.breakerTransition(t.name(), t.to());
            events.emit("breaker_transition", requestId, e -> e.put("candidate", t.name())
                    .put("from", Labels.snake(t.from())).put("to", Labels.snake(t.to())).put("reason", t.reason()));
        }
        case HealthEvent.CooldownStarted c -> {
            metrics.cooldownStarted(c.keyLabel(), Labels.snake(c.cause()));
            events.emit("cooldown_started", requestId, e -> e.put("key", c.keyLabel())
                    .put("cause", Labels.snake(c.cause())).put("seconds", c.duration().toMillis() / 1000.0)
                    .put("consecutive_failures", c.consecutiveFailures()));
        }
        case HealthEvent.CooldownEnded c -> events.emit("cooldown_ended", requestId, e -> e.put("key", c.keyLabel()));
        case HealthEvent.Demoted d -> {
            metrics.demoted(d.name(), d.measure().wireName(), "slow");
            events.emit("demoted", requestId, e -> e.put("candidate", d.name()).put("measure", d.measure().wireName())
                    .put("reason", d.reason()));
        }
        case HealthEvent.Recovered r -> events.emit("recovered", requestId, e -> e.put("candidate", r.name())
                .put("measure", r.measure().wireName()));
        case HealthEvent.Outpaced o -> {
            metrics.demoted(o.name(), o.measure().wireName(), "outpaced");
            events.emit("outpaced", requestId, e -> e.put("candidate", o.name()).put("by", o.by())
                    .put("measure", o.measure().wireName()).put("reason", o.reason()));
        }
        case HealthEvent.Regained r -> events.emit("regained", requestId, e -> e.put("candidate", r.name())
                .put("by", r.by()).put("measure", r.measure().wireName()));
        }
    }

    // ---- the state store and the config ----

    /** Where the state store's status is read (for {@code /status}, readiness and metrics). */
    public void state(Supplier<StoreStatus> status) {
        this.state = java.util.Objects.requireNonNull(status, "status");
    }

    /** The state store now; empty before the router has one. */
    public Optional<StoreStatus> state() {
        return Optional.ofNullable(state.get());
    }

    /** The state store went down or came back: an event, loud in the log; the gauge reads it at scrape time. */
    public void stateChanged(StoreStatus status) {
        events.emit(status.up() ? "state_store_up" : "state_store_down", Optional.empty(), e -> e
                .put("store", status.store()).put("up", status.up()).put("detail", status.detail())
                .put("rate_limits", status.rateLimits()).put("replica", status.replica()));
    }

    /** The hash of the config in use (see {@link io.hedgerow.config.ConfigHash}). */
    public void configHash(String hash) {
        this.configHash = java.util.Objects.requireNonNull(hash, "hash");
    }

    public String configHash() {
        return configHash;
    }

    // ---- live checks ----

    @Override
    public void checked(CheckResult result, List<String> candidates, String trigger) {
        metrics.preflightCheck(result.target().provider(), result.target().keyLabel(), result.verdict().wireName());
        if (result.verdict() != Verdict.OK) {
            events.emit("preflight_failed", Optional.empty(), e -> {
                e.put("provider", result.target().provider()).put("key", result.target().keyLabel())
                        .put("result", result.verdict().wireName()).put("reason", result.detail())
                        .put("trigger", trigger);
                ArrayNode list = e.putArray("candidates");
                candidates.forEach(list::add);
            });
        }
    }

    @Override
    public void roundEnded(Round round) {
        lastPreflight = Optional.of(round);
        PreflightReport report = round.report();
        events.emit("preflight", Optional.empty(), e -> {
            e.put("trigger", round.trigger()).put("checked", round.ran().size())
                    .put("ok", round.count(Verdict.OK)).put("auth_failed", round.count(Verdict.AUTH_FAILED))
                    .put("unreachable", round.count(Verdict.UNREACHABLE))
                    .put("not_found", round.count(Verdict.NOT_FOUND)).put("error", round.count(Verdict.ERROR))
                    .put("took_ms", round.took().toMillis());
            ArrayNode dead = e.putArray("cannot_serve");
            report.deadRungs().forEach(r -> dead.add(r.route() + ": " + r.candidate() + " (" + r.whyDead() + ")"));
            ArrayNode down = e.putArray("routes_down");
            report.routesDown().forEach(down::add);
            ArrayNode notListed = e.putArray("not_listed");
            report.notListed().forEach(notListed::add);
        });
    }
}
