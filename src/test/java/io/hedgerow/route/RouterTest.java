package io.hedgerow.route;

import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.health.HealthListener;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.provider.ProviderClients;
import io.hedgerow.testing.TestConfig;
import io.hedgerow.time.Randomness;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** What clients may name: routes, and {@code provider/model} for declared models (or, opted in, a bounded few). */
class RouterTest {
    private static Router router(HedgerowConfig config) {
        Map<String, ProviderClient> clients = ProviderClients.create(config.providers(), Clock.systemUTC(),
                                                                     Randomness.shared());
        return new Router(config, clients);
    }

    @Test
    void aHundredThousandMadeUpModelNamesCreateNothing() {
        HedgerowConfig config = TestConfig.builder()
                .openAi("p", "http://127.0.0.1:9/v1", p -> p.model("declared-in-models", 8192))
                .route("chat", "p/in-a-route")
                .build();
        Router router = router(config);
        HealthRegistry health = new HealthRegistry(config.failover(), config.hedging(), System::nanoTime,
                                                   HealthListener.NONE);

        int planned = 0;
        for (int i = 0; i < 100_000; i++) {
            Optional<RoutePlan> plan = router.plan("p/made-up-" + i);
            if (plan.isPresent()) {
                planned++;
                plan.get().candidates().forEach(c -> health.candidate(c.label()));
            }
        }

        assertThat(planned, is(0));
        assertThat(health.candidates().size(), is(0));
        assertThat(router.plan("p/in-a-route").isPresent(), is(true));
        assertThat(router.plan("p/declared-in-models").isPresent(), is(true));
        assertThat(router.plan("chat").isPresent(), is(true));
        assertThat(router.plan("nobody/in-a-route").isPresent(), is(false));
    }

    @Test
    void anyModelTakesTheFirstHundredUndeclaredNamesAndNoMore() {
        HedgerowConfig config = TestConfig.builder()
                .openAi("p", "http://127.0.0.1:9/v1", TestConfig.Provider::anyDirectModel)
                .route("chat", "p/in-a-route")
                .build();
        Router router = router(config);

        int planned = 0;
        for (int i = 0; i < 100_000; i++) {
            planned += router.plan("p/made-up-" + i).isPresent() ? 1 : 0;
        }

        assertThat(planned, is(100));
        assertThat(router.plan("p/made-up-7").isPresent(), is(true)); // one it took is still served
        assertThat(router.plan("p/in-a-route").isPresent(), is(true));
    }
}
