package io.hedgerow.health;

/**
 * Who may probe an upstream whose breaker's open time has passed. In one process every breaker may ({@link #LOCAL});
 * in a fleet sharing state, one replica at a time holds the permit for a breaker, so an upstream that is down is
 * probed once for the whole fleet, not once per replica.
 *
 * <p>Called on a request's thread when an open breaker's time is up: it must answer at once, never wait (a fleet
 * gate asks for the permit in the background and answers {@code false} until it holds it).
 */
public interface ProbeGate {
    /** Every breaker may probe: a single router. */
    ProbeGate LOCAL = breaker -> true;

    /** Whether the breaker named {@code breaker}, open and due, may turn half-open now and send its probes. */
    boolean mayProbe(String breaker);

    /** The breaker left half-open (closed, or open again): its permit is given back. */
    default void released(String breaker) {
    }
}
