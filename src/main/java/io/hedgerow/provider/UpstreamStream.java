package io.hedgerow.provider;

import io.hedgerow.model.Dialect;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.StreamEvent;

import io.helidon.webclient.api.HttpClientResponse;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every provider's stream reader shares, so that they all behave alike at their edges: canonical events are
 * handed out in order from a small queue (the body itself is never buffered); a failure is final (later calls repeat
 * it rather than read past it); a read broken by {@link #close()} is {@code CANCELLED}, whatever the broken read looked
 * like, so a hedge's loser or a client that left never counts against the provider; and once the stream has ended,
 * the rest of the body is read so its connection goes back to the pool.
 *
 * <p>A subclass reads one unit of its wire format (an SSE event, an NDJSON line, an event-stream frame) per
 * {@link #readMore()} and turns it into {@link #emit emitted} events, or {@link #end() ends} the stream.
 *
 * <p>When the client speaks the provider's dialect, each upstream unit also goes out as a {@link StreamEvent.WireFrame}
 * ({@link #relay}): a unit with no canonical events of its own is held and goes out just before the next one that has
 * some, so held frames never pass for the upstream's progress.
 *
 * <p>Threads: {@link #next()} is called by one reader; {@link #close()} may come from any thread at any time. It closes
 * the response, which closes the connection under a blocked read.
 */
public abstract class UpstreamStream implements ChatStream {
    /** How many stray units past the end are read for the connection's sake before it is left unread. */
    private static final int DRAIN_LIMIT = 8;

    private final HttpClientResponse response;
    private final ArrayDeque<StreamEvent> pending = new ArrayDeque<>(4);
    private final List<StreamEvent.WireFrame> held = new ArrayList<>(4);
    private final AtomicBoolean closed = new AtomicBoolean();
    private boolean ended;
    private ProviderException failure;

    protected UpstreamStream(HttpClientResponse response) {
        this.response = Objects.requireNonNull(response, "response");
    }

    @Override
    public final Optional<StreamEvent> next() throws ProviderException {
        if (failure != null) {
            throw failure;
        }
        try {
            while (pending.isEmpty()) {
                if (ended) {
                    return Optional.empty();
                }
                if (closed.get()) {
                    throw cancelled(null);
                }
                readMore();
            }
            return Optional.of(pending.poll());
        } catch (ProviderException e) {
            failure = e;
            close();
            throw e;
        }
    }

    /**
     * Reads one unit from the body: emits its events, ends the stream, or (a unit with nothing canonical in it) does
     * neither and is called again.
     *
     * @throws ProviderException when the stream breaks; see {@link #broken} and {@link #endedEarly}
     */
    protected abstract void readMore() throws ProviderException;

    /**
     * Reads one unit past the end of the stream, empty at the end of the body; used to drain it after {@link #end()}.
     */
    protected abstract Optional<?> readStray() throws Exception;

    protected final void emit(StreamEvent event) {
        pending.add(event);
    }

    protected final void emitAll(Collection<? extends StreamEvent> events) {
        pending.addAll(events);
    }

    /**
     * The upstream's unit as a wire frame, followed by the {@code decoded} canonical events that came from it. A unit
     * that decoded to nothing is held until one that did, unless {@code release} says it must go out now.
     */
    protected final void relay(Dialect dialect, String event, String data, List<StreamEvent> decoded,
                               boolean release) {
        held.add(new StreamEvent.WireFrame(dialect, event, data, decoded.size()));
        if (!decoded.isEmpty() || release) {
            pending.addAll(held);
            held.clear();
        }
        pending.addAll(decoded);
    }

    /**
     * The stream is complete: frames still held go out, the (normally empty) rest of the body is read so the
     * connection can be reused, and the response is released. Failures while draining are dropped on purpose: the
     * answer is complete, and a connection not read to its end is simply not reused.
     */
    protected final void end() {
        pending.addAll(held);
        held.clear();
        ended = true;
        try {
            for (int i = 0; i < DRAIN_LIMIT; i++) {
                if (readStray().isEmpty()) {
                    break;
                }
            }
        } catch (Exception e) {
            // see above: nothing the caller could act on
        }
        close();
    }

    /** Whether {@link #close()} was called (by anyone). */
    protected final boolean isClosed() {
        return closed.get();
    }

    /**
     * What a failed read means: {@code CANCELLED} after {@link #close()}; a line over the reader's cap is a
     * {@code BAD_RESPONSE}; anything else is classified as a connection that broke after its headers.
     */
    protected final ProviderException broken(Exception e) {
        if (closed.get()) {
            return cancelled(e);
        }
        if (e instanceof LineReader.LineTooLongException) {
            return new ProviderException(Failure.of(FailureKind.BAD_RESPONSE, "stream " + e.getMessage()), e);
        }
        return new ProviderException(FailureClassifier.fromException(e, true), e);
    }

    /** The body ended before the stream's terminal unit ({@code what}): cut, unless we closed it ourselves. */
    protected final ProviderException endedEarly(String what) {
        if (closed.get()) {
            return cancelled(null);
        }
        return ProviderException.of(FailureKind.BAD_RESPONSE, "stream ended before " + what);
    }

    /** Aborts (or releases) the upstream exchange. Idempotent; never throws. */
    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                response.close();
            } catch (RuntimeException e) {
                // Closing is best effort by contract: the connection is being thrown away either way.
            }
        }
    }

    private static ProviderException cancelled(Throwable cause) {
        return new ProviderException(Failure.of(FailureKind.CANCELLED, "stream closed"), cause);
    }
}
