package io.hedgerow.observe;

import io.hedgerow.time.Daemon;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Readiness of the router's own threads ({@code GET /observe/health/ready}, check {@code threads}): down when one of
 * them (the client watch, the stall watchdog, the config watcher, the live-check loop) has ended or stopped beating,
 * since without it slow clients, departed clients or endless streams would no longer be cut. Each thread is a
 * detail: {@code ok}, or what is wrong.
 */
public final class ThreadsCheck implements HealthCheck {
    private final Supplier<List<Daemon>> daemons;

    public ThreadsCheck(Supplier<List<Daemon>> daemons) {
        this.daemons = daemons;
    }

    @Override
    public HealthCheckType type() {
        return HealthCheckType.READINESS;
    }

    @Override
    public String name() {
        return "threads";
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponse.Builder response = HealthCheckResponse.builder();
        boolean up = true;
        for (Daemon daemon : daemons.get()) {
            Optional<String> problem = daemon.problem();
            up &= problem.isEmpty();
            response.detail(daemon.name(), problem.orElse("ok"));
        }
        return response.status(up).build();
    }
}
