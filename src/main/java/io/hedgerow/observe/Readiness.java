package io.hedgerow.observe;

import io.hedgerow.preflight.Round;
import io.hedgerow.state.StoreStatus;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Readiness ({@code GET /observe/health/ready}, and {@code /observe/health}): up while every route can serve, as
 * {@link RouteVerdict} judges it (some rung whose breaker is not open, whose keys are not all cooling down, and that
 * its live checks do not rule out). Each route is a detail that says what is true, not just whether it is up:
 * {@code ok}; {@code degraded: serving on rung 2 (p2/m2); rung 1 p1/m1: breaker open, retry in 4m12s}; or
 * {@code cannot serve: ...} with every rung and why. The state store is a detail too ({@code state}): a store that is
 * down does not make the router unready (it carries on with its own state), but the detail says so and what it means
 * for rate limits.
 */
public final class Readiness implements HealthCheck {
    private final Supplier<Generation> current;
    private final Supplier<Optional<Round>> preflight;
    private final Supplier<Optional<StoreStatus>> state;

    Readiness(Supplier<Generation> current, Supplier<Optional<Round>> preflight,
              Supplier<Optional<StoreStatus>> state) {
        this.current = Objects.requireNonNull(current, "current");
        this.preflight = Objects.requireNonNull(preflight, "preflight");
        this.state = Objects.requireNonNull(state, "state");
    }

    /**
     * Readiness of the router whose generations {@code current} gives, with the live checks and the state store
     * {@code telemetry} saw.
     */
    public static Readiness create(Supplier<Generation> current, Telemetry telemetry) {
        return new Readiness(current, telemetry::lastPreflight, telemetry::state);
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
        HealthCheckResponse.Builder response = HealthCheckResponse.builder();
        boolean up = true;
        for (RouteVerdict verdict : RouteVerdict.judge(current.get(), preflight.get())) {
            up &= verdict.serving().isPresent();
            String summary = verdict.summary();
            response.detail(verdict.route(), verdict.state().equals(RouteVerdict.DEGRADED) ? "degraded: " + summary
                    : summary);
        }
        state.get().ifPresent(s -> response.detail("state", (s.up() ? "ok: " : "down: ") + s.detail()
                + "; rate limits " + s.rateLimits()));
        return response.status(up).build();
    }
}
