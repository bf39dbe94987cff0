package io.hedgerow.exec;

import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.Failure;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderException;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A provider whose every call takes simulated time on a {@link SimClock}: its script says, per call, how long the
 * answer (or the first token) takes and whether it fails instead. Answers say which provider gave them. Counts calls
 * and, with the other providers sharing {@code inFlight}, how many are in flight at once.
 */
final class TimedProvider implements ProviderClient {
    static final Timeouts TIMEOUTS = new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(60),
                                                  Duration.ofSeconds(30), Duration.ofMinutes(5));

    /** What one call does: after {@code after}, answer (no failure) or fail. */
    record Reply(Duration after, Optional<Failure> failure) {
        static Reply ok(long millis) {
            return new Reply(Duration.ofMillis(millis), Optional.empty());
        }

        static Reply fail(long millis, Failure failure) {
            return new Reply(Duration.ofMillis(millis), Optional.of(failure));
        }

        static Reply fail(long millis, FailureKind kind, int status) {
            return fail(millis, new Failure(kind, status, "scripted", Optional.empty()));
        }
    }

    /** The reply to call number {@code call} (from 1), made at simulated time {@code nowNanos}. */
    @FunctionalInterface
    interface Script {
        Reply reply(int call, long nowNanos);
    }

    final ProviderConfig config;
    final AtomicInteger calls = new AtomicInteger();
    private final SimClock clock;
    private final Script script;
    private final InFlight inFlight;

    TimedProvider(String name, SimClock clock, InFlight inFlight, Script script) {
        this.config = new ProviderConfig(name, ProviderType.SIM, Optional.empty(),
                                         List.of(ApiKey.of("k1", "v-" + name)), Map.of(), Map.of(), TIMEOUTS,
                                         SimSettings.DEFAULTS);
        this.clock = clock;
        this.script = script;
        this.inFlight = inFlight;
    }

    /** Calls in flight across a set of providers, and the most seen at once. */
    static final class InFlight {
        private final AtomicInteger now = new AtomicInteger();
        private final AtomicInteger max = new AtomicInteger();

        void enter() {
            max.accumulateAndGet(now.incrementAndGet(), Math::max);
        }

        void exit() {
            now.decrementAndGet();
        }

        int max() {
            return max.get();
        }
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public ChatResponse complete(ProviderCall call) throws ProviderException {
        await();
        return new ChatResponse("m", Message.text(Role.ASSISTANT, name()), FinishReason.STOP, Optional.empty());
    }

    @Override
    public ChatStream stream(ProviderCall call) throws ProviderException {
        await();
        Iterator<StreamEvent> events = List.<StreamEvent>of(new StreamEvent.TextDelta(name()),
                                                            new StreamEvent.Finished(FinishReason.STOP)).iterator();
        return new ChatStream() {
            @Override
            public Optional<StreamEvent> next() {
                return events.hasNext() ? Optional.of(events.next()) : Optional.empty();
            }

            @Override
            public void close() {
            }
        };
    }

    private void await() throws ProviderException {
        Reply reply = script.reply(calls.incrementAndGet(), clock.read());
        inFlight.enter();
        try {
            clock.sleep(reply.after());
        } catch (InterruptedException e) {
            throw ProviderException.of(FailureKind.CANCELLED, "interrupted");
        } finally {
            inFlight.exit();
        }
        if (reply.failure().isPresent()) {
            throw new ProviderException(reply.failure().get());
        }
    }
}
