package io.hedgerow.api;

import io.hedgerow.exec.ChatExecutor;
import io.hedgerow.route.Router;

import java.util.Objects;

/**
 * What serves chat requests under one config: its router and executor, and its body limit. Immutable; a config
 * reload builds a new one and swaps it in whole, and each request reads it once, when it starts, so it finishes
 * on the config it started with.
 *
 * @param router       model names to candidates
 * @param executor     runs a request against its candidates
 * @param maxBodyBytes the largest request body accepted
 */
public record Engine(Router router, ChatExecutor executor, long maxBodyBytes) {
    public Engine {
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(executor, "executor");
    }
}
