package io.hedgerow.provider.openai;

import io.hedgerow.bench.Delay;
import io.hedgerow.bench.FakeUpstream;
import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.FailureKind;
import io.hedgerow.model.FinishReason;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.hedgerow.testing.Eventually.eventuallyParked;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * OpenAI streams over HTTP: every event through to the end, the connection kept for the next request, and an abort
 * from another thread reported as what it is.
 */
class OpenAiStreamTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private FakeUpstream fake;

    @AfterEach
    void stop() {
        fake.close();
    }

    private OpenAiProvider provider(FakeUpstream.Settings settings) {
        fake = FakeUpstream.start(settings, 0);
        return new OpenAiProvider(
                new ProviderConfig("fake", ProviderType.OPENAI, Optional.of(fake.baseUrl()),
                                   List.of(ApiKey.of("test", "key")), Map.of(), Map.of(), Timeouts.DEFAULTS,
                                   SimSettings.DEFAULTS), Clock.systemUTC());
    }

    private static ProviderCall call() {
        ChatRequest request = new ChatRequest("alias", List.of(Message.text(Role.USER, "hi")), List.of(),
                                              Optional.empty(), ChatRequest.Sampling.defaults(), true, true, Map.of());
        return new ProviderCall(request, FakeUpstream.MODEL, Optional.of(ApiKey.of("test", "key")));
    }

    @Test
    void aStreamClosedFromAnotherThreadIsCancelledNotABrokenUpstream() throws Exception {
        // A hedge's loser is closed while its reader waits for the next chunk: that is our doing, not the
        // provider's, and must not read as a broken connection (which the breaker would count).
        OpenAiProvider provider = provider(new FakeUpstream.Settings(Delay.NONE, Delay.fixed(Duration.ofSeconds(30)),
                                                                     3, 1));
        ChatStream stream = provider.stream(call());
        assertThat(stream.next().orElseThrow(), instanceOf(StreamEvent.Metadata.class));
        CompletableFuture<Optional<StreamEvent>> reader = new CompletableFuture<>();
        Thread thread = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    stream.next();
                }
            } catch (ProviderException | RuntimeException e) {
                reader.completeExceptionally(e);
            }
        });
        eventuallyParked(thread); // the reader waits for the upstream
        stream.close();

        ExecutionException e = assertThrows(ExecutionException.class,
                                            () -> reader.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        ProviderException cause = assertInstanceOf(ProviderException.class, e.getCause());
        assertThat(cause.failure().kind(), is(FailureKind.CANCELLED));
        // A broken stream stays broken: the next call repeats the same failure instead of reading on.
        assertSame(cause, assertThrows(ProviderException.class, stream::next));
    }

    @Test
    void aFinishedStreamGivesItsConnectionBack() throws ProviderException {
        OpenAiProvider provider = provider(new FakeUpstream.Settings(Delay.NONE, Delay.NONE, 3, 1));
        ProviderCall call = call();
        for (int round = 0; round < 3; round++) {
            List<StreamEvent> events = new ArrayList<>();
            try (ChatStream stream = provider.stream(call)) {
                Optional<StreamEvent> event;
                while ((event = stream.next()).isPresent()) {
                    events.add(event.get());
                }
            }
            assertThat(events.size(), is(6)); // metadata, 3 text deltas, finish, usage
            assertThat(events.get(0), instanceOf(StreamEvent.Metadata.class));
            assertThat(events.get(4), is(new StreamEvent.Finished(FinishReason.STOP)));
            assertThat(events.get(5), instanceOf(StreamEvent.UsageReported.class));
        }
        assertThat(fake.requests(), is(3L));
        assertThat("one connection for three streams", fake.connections(), is(1L));
    }
}
