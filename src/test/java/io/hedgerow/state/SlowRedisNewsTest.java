package io.hedgerow.state;

import io.hedgerow.config.StateSettings;
import io.hedgerow.health.BreakerState;
import io.hedgerow.testing.RedisServer;
import io.hedgerow.testing.TcpRelay;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.hedgerow.testing.Eventually.eventually;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * A replica that judges Redis slow (its heartbeats take longer than {@code state.timeout}: the store counts as down)
 * still sends what it learns: the news arrives late, not never. Seen: under load a replica marked its store down and
 * the other replicas never heard of a 429 it got (FleetIT, 5 s without {@code cooldown_started}).
 */
class SlowRedisNewsTest {

    private static RedisStore store(String name, int port, String prefix, Duration timeout) {
        StateSettings settings = new StateSettings(StateSettings.Store.REDIS, Optional.empty(), Duration.ofSeconds(5),
                                                   Optional.of(URI.create("redis://127.0.0.1:" + port)), prefix,
                                                   timeout, 2, StateSettings.WhenDown.PER_REPLICA);
        return new RedisStore(settings, Clock.systemUTC(), System::nanoTime, name);
    }

    @Test
    void aReplicaThatFindsRedisSlowStillSendsItsNews() throws Exception {
        String prefix = "t-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        try (RedisServer redis = RedisServer.start(); TcpRelay relay = TcpRelay.to(redis.port())) {
            RedisStore slow = store("slow", relay.port(), prefix, Duration.ofMillis(100));
            RedisStore other = store("other", redis.port(), prefix, Duration.ofSeconds(1));
            try {
                List<StateRecord> heard = new CopyOnWriteArrayList<>();
                other.start(heard::add);
                slow.start(r -> { });
                eventually(Duration.ofSeconds(20), () -> slow.status().up() && other.status().up());

                // Every answer through the relay now takes 400 ms: each heartbeat is past the 100 ms timeout.
                relay.delay(Duration.ofMillis(400));
                eventually(Duration.ofSeconds(10), () -> !slow.status().up());
                long now = System.currentTimeMillis();
                slow.publish(new StateRecord.Breaker("p/m", BreakerState.Kind.OPEN, now + 30_000, 0, "failure ratio",
                                                     now, now + 600_000, "slow"));
                eventually(Duration.ofSeconds(10), () -> heard.stream().anyMatch(r -> r.id().equals("breaker:p/m")));
                assertThat("the store still says it is down (slow)", slow.status().up(), is(false));
            } finally {
                slow.close();
                other.close();
            }
        }
    }
}
