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

    public Readiness(Supplier<Generation> current) {
        this.current = current;
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
        return response.status(up).build();
    }
}
