package io.hedgerow;

import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;
import io.hedgerow.time.Daemon;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static io.hedgerow.testing.Eventually.eventually;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * Issue 12 item 11: an idle router pays no ticks. The stall watchdog (50 ms) and the client watch (100 ms) park while
 * nothing is in flight and no client connection is open, and the first request wakes them: its time limits still hold.
 */
class IdleTicksEndToEndTest {
    private static final String CHAT = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private final FakeOpenAi upstream = FakeOpenAi.start();
    private final CountDownLatch never = new CountDownLatch(1);
    private HedgerowServer router;

    @AfterEach
    void stop() {
        never.countDown();
        if (router != null) {
            router.close();
        }
        upstream.close();
    }

    private List<Daemon> ticking() {
        return router.threads().stream()
                .filter(d -> d.name().equals("hedgerow-watchdog") || d.name().equals("hedgerow-client-watch"))
                .toList();
    }

    @Test
    void anIdleRouterParksItsTicksAndTheFirstRequestWakesThem() throws Exception {
        // A silent upstream: only the watchdog's first-token limit ends the attempt, so the answer proves it woke.
        upstream.otherwise(Reply.text("late").headersAfter(never));
        router = HedgerowServer.start(TestConfig.builder()
                                              .openAi("up", upstream.baseUrl(), p -> p.firstToken(Duration.ofMillis(300))
                                                      .total(Duration.ofMillis(300)))
                                              .route("chat", "up/m1")
                                              .build());
        assertThat(ticking().size(), is(2));
        eventually(() -> ticking().stream().allMatch(Daemon::parked));

        try (RawClient raw = new RawClient(router.port())) {
            HttpResponse<String> response = raw.chat(CHAT);
            assertThat(response.body(), response.statusCode(), is(504));
            assertThat(response.body(), containsString("timeout"));
        }
        // The client has closed its connection: nothing left to watch.
        eventually(() -> ticking().stream().allMatch(Daemon::parked));
        assertThat(router.threads().stream().anyMatch(d -> d.problem().isPresent()), is(false));
    }
}
