package io.hedgerow.health;

/**
 * Hands an event to a listener so that the listener's failure stays the listener's: a runtime exception is
 * logged and swallowed, because a broken metrics hook must never fail a request or leave a breaker half
 * updated. Errors ({@link Error}) are not caught: they mean the JVM is in trouble.
 */
final class EventDelivery {
    private static final System.Logger LOG = System.getLogger(EventDelivery.class.getName());

    private EventDelivery() {
    }

    static void deliver(HealthListener listener, HealthEvent event) {
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "health listener failed on " + event, e);
        }
    }
}
