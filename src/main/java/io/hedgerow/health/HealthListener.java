package io.hedgerow.health;

import java.util.Objects;

/**
 * Receives {@link HealthEvent}s. Called synchronously on the thread that caused the change (a request's
 * thread), so it must be quick and must not block; an exception it throws is logged and never reaches the
 * caller.
 */
@FunctionalInterface
public interface HealthListener {

    /** A listener that ignores everything. */
    HealthListener NONE = event -> {
    };

    void onEvent(HealthEvent event);

    /**
     * This listener, then {@code next}; each is isolated, so one throwing does not keep the other from
     * hearing the event.
     */
    default HealthListener andThen(HealthListener next) {
        Objects.requireNonNull(next, "next");
        return event -> {
            EventDelivery.deliver(this, event);
            EventDelivery.deliver(next, event);
        };
    }
}
