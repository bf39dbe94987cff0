package io.hedgerow.observe;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.health.BreakerState;
import io.hedgerow.health.CandidateHealth;
import io.hedgerow.route.Candidate;
import io.hedgerow.route.RoutePlan;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.DistributionStatisticsConfig;
import io.helidon.metrics.api.DistributionSummary;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Meter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Hedgerow's own meters, on Helidon's registry, scraped as Prometheus text at {@code /observe/metrics}. Names are
 * snake_case with the unit in the name ({@code _seconds}, {@code _usd}; counters end in {@code _total});
 * labels take values from the config (routes, providers, models, key labels), from small fixed sets (roles,
 * failure classes, error codes) or from client tags capped by {@code observe.max-tags}, so cardinality stays
 * bounded. Routes a client addresses directly as {@code provider/model} are labelled {@code route="direct"}.
 *
 * <p>Gauges (breaker state, demotion, key cooldowns, budget, generation) are read at scrape time from the current
 * {@link Generation}; {@link #syncGauges} adds and removes them as reloads add and remove candidates.
 *
 * <p>Thread-safe: meters are looked up once per label set and cached.
 */
public final class HedgerowMetrics implements AutoCloseable {
    static final String PREFIX = "hedgerow_";
    private static final Duration[] FIRST_TOKEN_BUCKETS = seconds(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2,
                                                                  3, 5, 10, 30);
    private static final Duration[] LATENCY_BUCKETS = seconds(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120,
                                                              300);

    private final MeterRegistry registry;
    private final Supplier<Generation> current;
    private final Map<MeterKey, Counter> counters = new ConcurrentHashMap<>();
    private final Map<MeterKey, Timer> timers = new ConcurrentHashMap<>();
    private final Map<List<String>, DistributionSummary> dollars = new ConcurrentHashMap<>();
    private final Map<List<String>, DistributionSummary> slowdowns = new ConcurrentHashMap<>();
    /** Percent of the usual: Micrometer rounds a summary's values up to whole numbers before bucketing them. */
    private static final double[] SLOWDOWN_BUCKETS = {50, 75, 100, 125, 150, 200, 300, 500, 1000};
    private final Map<List<String>, Meter> gauges = new ConcurrentHashMap<>();

    HedgerowMetrics(MeterRegistry registry, Supplier<Generation> current) {
        this.registry = registry;
        this.current = current;
    }

    // ---- per candidate (route, provider, model) ----

    /** A call was made to a candidate, for this reason (primary, retry, fallback, hedge, probe). */
    void attemptStarted(String route, String candidate, String role) {
        count("attempts", "Calls made to upstream candidates, by why they were started: primary, retry (same "
                + "candidate again), fallback (next candidate after a failure), hedge, probe (of a demoted candidate)",
              "route", route, "provider", Labels.provider(candidate), "model", Labels.model(candidate), "role", role);
        if (role.equals("hedge")) {
            count("hedges_launched", "Hedges started beside a slow attempt",
                  "route", route, "provider", Labels.provider(candidate), "model", Labels.model(candidate));
        }
    }

    /** A call ended: {@code ok} or its failure class ({@code cancelled}: it lost a race or the client left). */
    void attemptEnded(String route, String candidate, String role, String outcome) {
        count("upstream_requests", "Calls to upstream candidates by outcome: ok, or the failure class (rate_limited, "
                + "server_error, connection, timeout, auth, bad_request, not_found, context_length, content_filter, "
                + "bad_response, cancelled: lost a race or the client left)",
              "route", route, "provider", Labels.provider(candidate), "model", Labels.model(candidate),
              "outcome", outcome);
        if (role.equals("hedge") && outcome.equals("ok")) {
            count("hedges_won", "Hedges that answered first",
                  "route", route, "provider", Labels.provider(candidate), "model", Labels.model(candidate));
        } else if (role.equals("hedge") && outcome.equals("cancelled")) {
            count("hedges_cancelled", "Hedges cancelled because another attempt answered first",
                  "route", route, "provider", Labels.provider(candidate), "model", Labels.model(candidate));
        }
    }

    /** A candidate was passed over without a call. */
    void skipped(String route, String candidate, String reason) {
        count("skips", "Candidates passed over without a call, by reason: breaker_open, keys_cooling, context_window, "
                      + "bulkhead (its provider's concurrency limit was full)",
              "route", route, "provider", Labels.provider(candidate), "model", Labels.model(candidate),
              "reason", reason);
    }

    /** A candidate served a request. */
    void served(String route, String candidate) {
        count("requests_served", "Requests answered, by the candidate that served them",
              "route", route, "provider", Labels.provider(candidate), "model", Labels.model(candidate));
    }

    /** A stream that broke after its first token was resumed on another candidate. */
    void streamResumed(String route, String brokenCandidate, String how) {
        count("stream_resumptions", "Streams that broke mid-answer and were finished on another candidate, by the "
                      + "candidate that broke and how (prefill, splice)",
              "route", route, "provider", Labels.provider(brokenCandidate), "model", Labels.model(brokenCandidate),
              "how", how);
    }

    void hedgeRefused(String route) {
        count("hedge_budget_exhausted", "Hedges that were due but refused because the hedge budget was spent",
              "route", route);
    }

    void firstToken(String route, String candidate, long nanos) {
        timer("upstream_first_token", "Time from sending a streamed request to its first token, for the attempt "
                      + "that served", FIRST_TOKEN_BUCKETS,
              "route", route, "provider", Labels.provider(candidate), "model", Labels.model(candidate))
                .record(Duration.ofNanos(nanos));
    }

    /**
     * How many times what is usual for its prompt's size the serving attempt took (first token of a stream, else the
     * whole answer), as a percentage (100: as usual): slowness judged against the request, not against all of a
     * route's prompts.
     */
    void slowdown(String route, String candidate, boolean stream, double slowdown) {
        slowdowns.computeIfAbsent(List.of(route, candidate, String.valueOf(stream)), l -> registry.getOrCreate(
                DistributionSummary.builder(PREFIX + "upstream_percent_of_usual", DistributionStatisticsConfig.builder()
                                .percentiles(new double[0]).buckets(SLOWDOWN_BUCKETS))
                        .description("The serving attempt's time (to first token when streamed, else to the whole "
                                             + "answer) in percent of what is usual for a prompt of its size on that "
                                             + "candidate")
                        .tags(tags("route", route, "provider", Labels.provider(candidate), "model",
                                   Labels.model(candidate), "stream", String.valueOf(stream)))))
                .record(Math.round(slowdown * 100));
    }

    void upstreamLatency(String route, String candidate, boolean stream, long nanos) {
        timer("upstream_latency", "Time from sending a request to the last byte of its answer, for the attempt that "
                      + "served", LATENCY_BUCKETS,
              "route", route, "provider", Labels.provider(candidate), "model", Labels.model(candidate),
              "stream", String.valueOf(stream))
                .record(Duration.ofNanos(nanos));
    }

    /**
     * Tokens and their cost. The directions do not overlap, so they add up to every token of the call: {@code input}
     * is the prompt tokens not read from the provider's prompt cache, {@code cached_input} those read from it (a
     * prompt's tokens are the sum of the two), {@code output} the completion's, reasoning included. {@code attempt}
     * is {@code winner} (the answer's usage as the provider reported it, else estimated) or {@code loser} (an attempt
     * cancelled because another answered first, typically a hedge or the primary a hedge beat: providers report no
     * usage for cancelled requests, so its prompt is estimated at one token per 4 characters, all of it uncached,
     * and its output counted from what it had sent).
     */
    void tokens(String route, String candidate, String tag, String attempt, long input, long cachedInput, long output,
                java.util.Optional<Double> dollarsSpent) {
        String provider = Labels.provider(candidate);
        String model = Labels.model(candidate);
        String help = "Tokens by direction: input (prompt tokens not read from the provider's prompt cache), "
                + "cached_input (prompt tokens read from it), output; the directions do not overlap. "
                + "attempt=winner: as the provider reported them (estimated if it did not); attempt=loser: attempts "
                + "cancelled because another answered first, estimated (prompt at 4 characters a token), as "
                + "providers report no usage for cancelled requests";
        if (input > 0) {
            count("tokens", help, input, "route", route, "provider", provider, "model", model, "tag", tag,
                  "direction", "input", "attempt", attempt);
        }
        if (cachedInput > 0) {
            count("tokens", help, cachedInput, "route", route, "provider", provider, "model", model, "tag", tag,
                  "direction", "cached_input", "attempt", attempt);
        }
        if (output > 0) {
            count("tokens", help, output, "route", route, "provider", provider, "model", model, "tag", tag,
                  "direction", "output", "attempt", attempt);
        }
        dollarsSpent.ifPresent(d -> dollars(List.of(route, provider, model, tag, attempt)).record(d));
    }

    // ---- per route, as the client saw it ----

    void routeRequest(String route, String api, String outcome, boolean stream, long nanos) {
        count("route_requests", "Client requests by route, inbound API (chat_completions, messages) and outcome: "
                      + "ok, or the error code the client got",
              "route", route, "api", api, "outcome", outcome);
        timer("route_latency", "Client-visible time from receiving a request to the end of its answer "
                      + "(a stream's last event), by route and inbound API", LATENCY_BUCKETS,
              "route", route, "api", api, "stream", String.valueOf(stream))
                .record(Duration.ofNanos(nanos));
    }

    // ---- health ----

    void breakerTransition(String candidate, BreakerState.Kind to) {
        count("breaker_transitions", "Circuit breaker state changes, by the state entered",
              "provider", Labels.provider(candidate), "model", Labels.model(candidate), "to", Labels.snake(to));
    }

    /**
     * A candidate was moved behind others, on one measure ({@code first_token}, {@code whole_answer}): {@code slow}
     * against its own past, or {@code outpaced} by the candidate after it in a route.
     */
    void demoted(String candidate, String measure, String why) {
        count("demotions", "Candidates moved behind others in their routes, by measure (first_token, whole_answer) "
                      + "and why: slow (against its own past) or outpaced (clearly slower than the next candidate)",
              "provider", Labels.provider(candidate), "model", Labels.model(candidate), "measure", measure,
              "why", why);
    }

    void cooldownStarted(String keyLabel, String cause) {
        count("key_cooldowns", "API key cooldowns started, by key label and cause (rate_limited, auth)",
              "key", keyLabel, "cause", cause);
    }

    void preflightCheck(String provider, String keyLabel, String result) {
        count("preflight_checks", "Live checks of a provider and key (its list of models, no tokens spent), by "
                + "result: ok, auth_failed, unreachable, error", "provider", provider, "key", keyLabel, "result", result);
    }

    void reload(String result) {
        count("config_reloads", "Config reloads: applied, unchanged, or rejected (invalid file, old config kept)",
              "result", result);
    }

    // ---- gauges, read from the current generation at scrape time ----

    /** Registers the gauges of every candidate and key of this generation; removes those no longer configured. */
    synchronized void syncGauges(Generation generation) {
        syncGauges(generation, () -> java.util.Optional.empty(), "");
    }

    /**
     * {@link #syncGauges(Generation)}, with the state store's gauge ({@code hedgerow_state_store_up}) and the config's
     * hash ({@code hedgerow_config_info{hash}}: 1 for the hash in use).
     */
    synchronized void syncGauges(Generation generation,
                                 Supplier<java.util.Optional<io.hedgerow.state.StoreStatus>> state, String configHash) {
        Set<List<String>> wanted = new HashSet<>();
        java.util.Optional<io.hedgerow.state.StoreStatus> store = state.get();
        if (store.isPresent()) {
            gauge(wanted, "state_store_up", "1 while the state store works as configured (redis: connected and "
                          + "answering within state.timeout), 0 while the router carries on with its own state",
                  () -> state.get().map(s -> s.up() ? 1 : 0).orElse(0), "store", store.get().store());
        }
        if (!configHash.isEmpty()) {
            gauge(wanted, "config_info", "1, labelled with the hash of the config file in use (first 12 hex digits "
                    + "of its SHA-256): replicas with different hashes run different configs", () -> 1,
                  "hash", configHash);
        }
        gauge(wanted, "config_generation", "The config generation in use: 1 at start, one more per applied reload",
              () -> current.get().number());
        gauge(wanted, "hedge_budget_balance", "Hedges the budget would allow now (deposits left plus this second's "
                + "floor)", () -> current.get().health().budget().balance());
        gauge(wanted, "hedge_cost_share", "Hedges' estimated spend over requests' in the last 10 minutes, at the "
                + "configured prices (0 when nothing is priced); hedging.budget.max-cost-share caps it",
              () -> current.get().health().budget().costShare());
        Set<String> candidates = new java.util.LinkedHashSet<>();
        for (RoutePlan plan : generation.engine().router().routes().values()) {
            for (Candidate c : plan.candidates()) {
                candidates.add(c.label());
            }
        }
        for (String label : candidates) {
            String provider = Labels.provider(label);
            String model = Labels.model(label);
            for (BreakerState.Kind kind : BreakerState.Kind.values()) {
                gauge(wanted, "breaker_state", "Circuit breaker state: 1 for the state it is in, 0 for the others",
                      () -> health(label).breaker().state().kind() == kind ? 1 : 0,
                      "provider", provider, "model", model, "state", Labels.snake(kind));
            }
            gauge(wanted, "demoted", "1 while the candidate is demoted for slowness, else 0",
                  () -> health(label).demoted() ? 1 : 0, "provider", provider, "model", model);
        }
        for (ProviderConfig provider : generation.config().providers().values()) {
            for (ApiKey key : provider.keys()) {
                String name = provider.name();
                String keyLabel = key.label();
                gauge(wanted, "key_cooldown_remaining_seconds", "Seconds left in an API key's cooldown (0: available)",
                      () -> cooling(name, keyLabel), "provider", name, "key", keyLabel);
            }
        }
        for (Map.Entry<List<String>, Meter> entry : gauges.entrySet()) {
            if (!wanted.contains(entry.getKey())) {
                registry.remove(entry.getValue());
                gauges.remove(entry.getKey());
            }
        }
    }

    private CandidateHealth health(String label) {
        return current.get().health().candidate(label);
    }

    private double cooling(String provider, String keyLabel) {
        Generation g = current.get();
        ProviderConfig config = g.config().providers().get(provider);
        if (config == null) {
            return 0;
        }
        for (ApiKey key : config.keys()) {
            if (key.label().equals(keyLabel)) {
                return g.health().keys().coolingFor(key).map(d -> d.toMillis() / 1000.0).orElse(0.0);
            }
        }
        return 0;
    }

    /** Removes every gauge this instance registered (counters stay: they are cumulative). */
    @Override
    public synchronized void close() {
        gauges.values().forEach(registry::remove);
        gauges.clear();
    }

    // ---- registry plumbing ----

    private void count(String name, String help, String... tags) {
        count(name, help, 1, tags);
    }

    private void count(String name, String help, long amount, String... tags) {
        MeterKey key = new MeterKey(name, tags);
        Counter counter = counters.get(key);
        if (counter != null) {
            counter.increment(amount);
            return;
        }
        counters.computeIfAbsent(key, k -> registry.getOrCreate(Counter.builder(PREFIX + name).description(help)
                                                                       .tags(tags(tags))))
                .increment(amount);
    }

    private Timer timer(String name, String help, Duration[] buckets, String... tags) {
        MeterKey key = new MeterKey(name, tags);
        Timer timer = timers.get(key);
        if (timer != null) {
            return timer;
        }
        return timers.computeIfAbsent(key, k -> registry.getOrCreate(
                Timer.builder(PREFIX + name).description(help).tags(tags(tags)).buckets(buckets)
                        .percentiles(new double[0]).publishPercentileHistogram(false)));
    }

    /**
     * Cost is a summary of each answer's (or cancelled attempt's) price: its {@code _sum} is the dollars spent,
     * its {@code _count} the priced calls. (Helidon's counters count whole numbers; a summary adds doubles.)
     */
    private DistributionSummary dollars(List<String> labels) {
        return dollars.computeIfAbsent(labels, l -> registry.getOrCreate(
                DistributionSummary.builder(PREFIX + "cost_usd", DistributionStatisticsConfig.builder()
                                .percentiles(new double[0]))
                        .description("Cost in US dollars at the configured per-model prices, prompt tokens read "
                                             + "from the provider's cache at the cached-input price (_sum: dollars "
                                             + "spent, _count: priced calls); attempt=loser: attempts cancelled because "
                                             + "another answered first (the price of hedging), estimated")
                        .tags(tags("route", l.get(0), "provider", l.get(1), "model", l.get(2), "tag", l.get(3),
                                   "attempt", l.get(4)))));
    }

    private void gauge(Set<List<String>> wanted, String name, String help, Supplier<Number> value, String... tags) {
        List<String> key = key(name, tags);
        wanted.add(key);
        gauges.computeIfAbsent(key, k -> {
            // A gauge left by an earlier router in this JVM would still read that router's state: replace it.
            registry.remove(PREFIX + name, tags(tags));
            return registry.getOrCreate(Gauge.builder(PREFIX + name, () -> value.get().doubleValue())
                                                .description(help).tags(tags(tags)));
        });
    }

    /**
     * A meter's name and label values, as the per-request lookup key: built from the call's own varargs array
     * without copying (the hot path looks up eight meters per request; a plain get first, as computeIfAbsent
     * locks its bin even when the meter exists).
     */
    private record MeterKey(String name, String[] tags) {
        @Override
        public boolean equals(Object o) {
            return o instanceof MeterKey k && name.equals(k.name) && java.util.Arrays.equals(tags, k.tags);
        }

        @Override
        public int hashCode() {
            return 31 * name.hashCode() + java.util.Arrays.hashCode(tags);
        }

        @Override
        public String toString() {
            return name + java.util.Arrays.toString(tags);
        }
    }

    private static List<String> key(String name, String... tags) {
        List<String> key = new ArrayList<>(tags.length + 1);
        key.add(name);
        key.addAll(List.of(tags));
        return key;
    }

    private static List<Tag> tags(String... pairs) {
        List<Tag> tags = new ArrayList<>(pairs.length / 2);
        for (int i = 0; i < pairs.length; i += 2) {
            tags.add(Tag.create(pairs[i], pairs[i + 1]));
        }
        return tags;
    }

    private static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofNanos((long) (values[i] * 1e9));
        }
        return out;
    }
}
