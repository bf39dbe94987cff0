package io.hedgerow.observe;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;

import java.util.function.Supplier;

/**
 * Readiness ({@code GET /observe/health/ready}): up when every route has at least one candidate that could be
 * tried now, one whose breaker is not open and whose keys are not all cooling down. Each route is a detail:
 * {@code ok}, or why none of its candidates can be tried.
 */
public final class Readiness implements HealthCheck {
    private final Supplier<Generation> current;
    private final Supplier<java.util.Optional<io.hedgerow.state.StoreStatus>> state;

    public Readiness(Supplier<Generation> current) {
        this(current, java.util.Optional::empty);
    }

    /**
     * Readiness with the state store as a detail ({@code state}): a store that is down does not make the router
     * unready (it carries on with its own state), but the detail says so and what it means for rate limits.
     */
    public Readiness(Supplier<Generation> current, Supplier<java.util.Optional<io.hedgerow.state.StoreStatus>> state) {
        this.current = current;
        this.state = state;
    }

    @Override
    public HealthCheckType type() {
        return HealthCheckType.READINESS;
    }

    @Override
    public String name() {
        return "routes";
    }

    @Override
    public HealthCheckResponse call() {
        Generation g = current.get();
        HealthCheckResponse.Builder response = HealthCheckResponse.builder();
        boolean up = true;
        for (String route : g.engine().router().routes().keySet()) {
            var candidates = StatusReport.candidates(g, route);
            boolean routeUp = candidates.stream().anyMatch(StatusReport.CandidateView::available);
            up &= routeUp;
            response.detail(route, routeUp ? "ok" : "no candidate can be tried: " + String.join("; ", candidates
                    .stream().map(c -> c.label() + " " + c.why()).toList()));
        }
        state.get().ifPresent(s -> response.detail("state", (s.up() ? "ok: " : "down: ") + s.detail()
                + "; rate limits " + s.rateLimits()));
        return response.status(up).build();
    }
}
