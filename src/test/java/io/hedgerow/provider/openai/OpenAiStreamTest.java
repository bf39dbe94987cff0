package io.hedgerow.provider.openai;

import io.hedgerow.bench.Delay;
import io.hedgerow.bench.FakeUpstream;
import io.hedgerow.config.ApiKey;
import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;
import io.hedgerow.config.Timeouts;
import io.hedgerow.model.ChatRequest;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;

/** OpenAI streams over HTTP: every event through to the end, and the connection kept for the next request. */
class OpenAiStreamTest {
    private FakeUpstream fake;

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void aFinishedStreamGivesItsConnectionBack() throws ProviderException {
        fake = FakeUpstream.start(new FakeUpstream.Settings(Delay.NONE, Delay.NONE, 3, 1), 0);
        OpenAiProvider provider = new OpenAiProvider(
                new ProviderConfig("fake", ProviderType.OPENAI, Optional.of(fake.baseUrl()),
                                   List.of(ApiKey.of("test", "key")), Map.of(), Map.of(), Timeouts.DEFAULTS,
                                   SimSettings.DEFAULTS), Clock.systemUTC());
        ChatRequest request = new ChatRequest("alias", List.of(Message.text(Role.USER, "hi")), List.of(),
                                              Optional.empty(), ChatRequest.Sampling.defaults(), true, true, Map.of());
        ProviderCall call = new ProviderCall(request, FakeUpstream.MODEL, Optional.of(ApiKey.of("test", "key")));
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
