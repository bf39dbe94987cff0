package io.hedgerow.observe;

import io.hedgerow.api.Engine;
import io.hedgerow.api.EngineLeases;
import io.hedgerow.config.HedgerowConfig;
import io.hedgerow.exec.ChatExecutor;
import io.hedgerow.exec.ExecutionListener;
import io.hedgerow.exec.StallWatchdog;
import io.hedgerow.health.HealthListener;
import io.hedgerow.health.HealthRegistry;
import io.hedgerow.model.ChatResponse;
import io.hedgerow.provider.ChatStream;
import io.hedgerow.provider.ProviderCall;
import io.hedgerow.provider.ProviderClient;
import io.hedgerow.route.Router;
import io.hedgerow.testing.TestConfig;
import io.hedgerow.time.Ticker;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.sameInstance;

/**
 * Generations lent to requests, and provider clients closed once no generation holding them can serve a request:
 * never while a request started on one of them is running, always once the last has ended.
 */
class GenerationLeasesTest {
    private static final HedgerowConfig CONFIG = TestConfig.builder().build();

    private final StallWatchdog watchdog = StallWatchdog.start(Ticker.system(), Duration.ofMillis(50));

    @AfterEach
    void stop() {
        watchdog.close();
    }

    @Test
    void aReplacedClientIsClosedWhenTheLastRequestOnTheOldGenerationEnds() {
        Client kept = new Client("kept");
        Client old = new Client("p");
        Client replacement = new Client("p");
        Generation first = generation(1, kept, old);
        GenerationLeases leases = new GenerationLeases(first);
        EngineLeases.Lease early = leases.acquire();

        Generation second = generation(2, kept, replacement);
        leases.swapped(second);
        EngineLeases.Lease late = leases.acquire();

        assertThat(early.engine(), sameInstance(first.engine()));
        assertThat(late.engine(), sameInstance(second.engine()));
        assertThat("a request on generation 1 still runs", old.closes.get(), is(0));
        early.close();
        early.close();
        assertThat(old.closes.get(), is(1));
        assertThat("kept: generation 2 holds it", kept.closes.get(), is(0));
        assertThat(replacement.closes.get(), is(0));

        // A reload removing "kept": generation 2 still has a request, so nothing closes until it ends.
        leases.swapped(generation(3, replacement));
        assertThat(kept.closes.get(), is(0));
        late.close();
        assertThat(kept.closes.get(), is(1));
        assertThat(replacement.closes.get(), is(0));
        assertThat(old.closes.get(), is(1));
    }

    @Test
    void aClientKeptAcrossReloadsClosesOnlyOnceEveryGenerationHoldingItIsDone() {
        Client shared = new Client("p");
        GenerationLeases leases = new GenerationLeases(generation(1, shared));
        EngineLeases.Lease onFirst = leases.acquire();
        leases.swapped(generation(2, shared));
        EngineLeases.Lease onSecond = leases.acquire();
        leases.swapped(generation(3, new Client("p")));

        onSecond.close();
        assertThat("generation 1 still has a request", shared.closes.get(), is(0));
        onFirst.close();
        assertThat(shared.closes.get(), is(1));
    }

    @Test
    void closingClosesTheClientsInUseOnceTheirLastRequestEnds() {
        Client idle = new Client("idle");
        Client busy = new Client("busy");
        GenerationLeases leases = new GenerationLeases(generation(1, idle, busy));
        EngineLeases.Lease running = leases.acquire();

        leases.close();
        assertThat("a request still runs on generation 1", busy.closes.get(), is(0));
        running.close();
        assertThat(idle.closes.get(), is(1));
        assertThat(busy.closes.get(), is(1));
        leases.close();
        assertThat(busy.closes.get(), is(1));

        Client alone = new Client("alone");
        new GenerationLeases(generation(1, alone)).close();
        assertThat("no request: closed at once", alone.closes.get(), is(1));
    }

    @Test
    @Timeout(10)
    void afterCloseARequestStillGetsTheLastGenerationHoldingNothingAndALateReloadIsLetGo() {
        Client shared = new Client("shared");
        Client old = new Client("old");
        Generation first = generation(1, shared, old);
        GenerationLeases leases = new GenerationLeases(first);
        leases.close();
        assertThat(shared.closes.get(), is(1));

        try (EngineLeases.Lease late = leases.acquire()) {
            assertThat(late.engine(), sameInstance(first.engine()));
        }
        assertThat("its close gives back nothing twice", shared.closes.get(), is(1));

        // A reload that lands during the shutdown: its generation is in use, but at once finished.
        Client fresh = new Client("fresh");
        Generation second = generation(2, fresh);
        leases.swapped(second);
        assertThat(fresh.closes.get(), is(1));
        try (EngineLeases.Lease late = leases.acquire()) {
            assertThat(late.engine(), sameInstance(second.engine()));
        }
        assertThat(fresh.closes.get(), is(1));
        assertThat(old.closes.get(), is(1));
    }

    @Test
    @Timeout(60)
    void requestsRacingReloadsNeverHoldAClosedClientAndEveryOldOneClosesOnce() throws Exception {
        Random random = new Random(7);
        List<Generation> generations = new ArrayList<>();
        Client client = new Client("p");
        for (int n = 1; n <= 300; n++) {
            if (n > 1 && random.nextInt(4) != 0) {
                client = new Client("p"); // else this reload keeps the client
            }
            generations.add(generation(n, client));
        }
        Map<Engine, Client> clientOf = new ConcurrentHashMap<>();
        generations.forEach(g -> clientOf.put(g.engine(), only(g)));
        GenerationLeases leases = new GenerationLeases(generations.getFirst());
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger misuses = new AtomicInteger();
        AtomicInteger requests = new AtomicInteger();
        // Platform threads, truly racing: spinning virtual threads would hog the carriers and only take turns.
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                workers.add(pool.submit(() -> {
                    while (running.get()) {
                        try (EngineLeases.Lease lease = leases.acquire()) {
                            Client held = clientOf.get(lease.engine());
                            for (int check = 0; check < 20; check++) {
                                if (held.closes.get() > 0) {
                                    misuses.incrementAndGet();
                                }
                                Thread.onSpinWait();
                            }
                            requests.incrementAndGet();
                        }
                    }
                }));
            }
            for (Generation next : generations.subList(1, generations.size())) {
                leases.swapped(next);
            }
            running.set(false);
            for (Future<?> worker : workers) {
                worker.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(misuses.get(), is(0));
        assertThat(requests.get() > 0, is(true));
        Client last = only(generations.getLast());
        for (Generation g : generations) {
            assertThat("generation " + g.number(), only(g).closes.get(), is(only(g) == last ? 0 : 1));
        }
    }

    private static Client only(Generation generation) {
        return (Client) generation.clients().values().iterator().next();
    }

    private Generation generation(int number, Client... clients) {
        Map<String, ProviderClient> byName = new LinkedHashMap<>();
        for (Client client : clients) {
            byName.put(client.name + "-" + byName.size(), client);
        }
        HealthRegistry health = new HealthRegistry(CONFIG.failover(), CONFIG.hedging(), Ticker.system(),
                                                   HealthListener.NONE);
        ChatExecutor executor = new ChatExecutor(Ticker.system(), watchdog, health, new Random(1),
                                                 Duration.ofSeconds(1), ExecutionListener.NONE);
        return new Generation(number, CONFIG, byName, health, new Engine(new Router(CONFIG, Map.of()), executor, 1024),
                              Instant.EPOCH);
    }

    /** A client that only counts how often it was closed. */
    private static final class Client implements ProviderClient {
        final String name;
        final AtomicInteger closes = new AtomicInteger();

        Client(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public ChatResponse complete(ProviderCall call) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ChatStream stream(ProviderCall call) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }
}
