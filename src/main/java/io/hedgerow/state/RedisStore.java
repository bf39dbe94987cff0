package io.hedgerow.state;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.config.Checks;
import io.hedgerow.config.StateSettings;
import io.hedgerow.time.Daemon;
import io.hedgerow.time.Ticker;
import io.hedgerow.json.Json;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateAdapter;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * State shared by a fleet through Redis (or Valkey), and saved to this replica's snapshot file as well.
 *
 * <h2>Layout</h2>
 * Under the prefix {@code P} ({@code state.key-prefix}): {@code P key:SHA}, {@code P breaker:LABEL},
 * {@code P demotion:LABEL} hold each thing's newest record as JSON, expiring at the record's own absolute expiry
 * ({@code PXAT}); {@code P changes} is the channel every change is published on; {@code P probe:LABEL} is a breaker's
 * probe permit ({@link ProbePermits}); {@code P replica:ID} each replica's heartbeat with its config hash;
 * {@code P rate:...} the fleet-wide token buckets ({@link FleetRateLimits}); {@code P resp:ID}, {@code P responses...}
 * the Responses API conversations ({@link RedisConversations}).
 *
 * <h2>How a change travels</h2>
 * A replica changes its own copy first (requests only ever read that), then {@link #publish} hands the record to
 * Redis asynchronously (while the store counts as down too, if connected: down may only mean slow): one script stores
 * it if it is newer than the stored one and publishes it, atomically, so an older record never overwrites a newer one. Every replica subscribed to the channel merges it into its own copy
 * (newest wins), off the request path, in the order received. Pub/sub delivery takes a network round trip, well
 * within the 200 ms a change must take to reach the fleet.
 *
 * <h2>When Redis goes away</h2>
 * A keeper thread sends a heartbeat every {@link #HEARTBEAT}; a heartbeat or a command that fails, a rate-limit check
 * that answers slower than {@code state.timeout}, or two heartbeats in a row that do, mark the store down: the status
 * says so (event, metric, {@code /status}, readiness detail), probes are local, and fleet-wide rate limits fall back as
 * configured; changes are still sent while a connection stands. Lettuce reconnects on its own (and re-subscribes);
 * after any lost connection, and on coming back up, the first heartbeat that answers in time re-synchronizes: every stored record newer than ours is taken, then every record of ours newer than the stored one
 * is written back. The router never waits for any of this.
 */
public final class RedisStore implements StateStore {
    private static final System.Logger LOG = System.getLogger(RedisStore.class.getName());
    /** How often the keeper sends a heartbeat (and tries to connect while not connected). */
    static final Duration HEARTBEAT = Duration.ofMillis(500);
    /** How long a replica's heartbeat stays visible. */
    static final Duration REPLICA_TTL = Duration.ofSeconds(5);
    /** Bound for the keeper's own commands (heartbeat excepted: it uses {@code state.timeout} to judge). */
    static final Duration KEEPER_TIMEOUT = Duration.ofSeconds(2);
    private static final String STORE_IF_NEWER = """
            local cur = redis.call('GET', KEYS[1])
            if cur then
              local ok, old = pcall(cjson.decode, cur)
              if ok and type(old) == 'table' and type(old.at) == 'number' then
                local at = tonumber(ARGV[2])
                if old.at > at or (old.at == at and tostring(old.origin) >= ARGV[4]) then
                  return 0
                end
              end
            end
            redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[3])
            redis.call('PUBLISH', KEYS[2], ARGV[1])
            return 1
            """;

    private final StateSettings settings;
    private final Clock clock;
    private final String replica;
    private final String prefix;
    private final String channel;
    private final LocalStore local;
    private final ClientResources resources;
    private final RedisClient client;
    private final ProbePermits probes;
    private final FleetRateLimits rateLimits;
    private final ExecutorService applier = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("hedgerow-state-apply").factory());
    private final List<Consumer<StoreStatus>> statusListeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    private volatile Consumer<StateRecord> learned = r -> { };
    private volatile StoreStatus status;
    private volatile boolean up;
    private volatile boolean resyncNeeded = true;
    private volatile String configHash = "";
    private volatile List<StoreStatus.Replica> replicas = List.of();
    private volatile Daemon keeper;
    private volatile RedisConversations conversations;
    private final List<Runnable> beats = new CopyOnWriteArrayList<>();
    private int slowBeats; // the keeper's own

    public RedisStore(StateSettings settings, Clock clock, Ticker ticker, String replica) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.replica = Objects.requireNonNull(replica, "replica");
        this.prefix = settings.keyPrefix();
        this.channel = prefix + "changes";
        this.local = new LocalStore(settings, clock, ticker, replica);
        this.resources = ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                // Lettuce's default waits up to 30 s between attempts; a fleet wants its Redis back within a second.
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
                                                  TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources, RedisURI.create(settings.url().orElseThrow()));
        // Any connection of ours lost (the pub/sub one included, which Lettuce re-subscribes on its own): what was
        // published meanwhile never reached us, so the next heartbeat re-synchronizes.
        client.addListener(new RedisConnectionStateAdapter() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                resyncNeeded = true;
            }
        });
        client.setOptions(ClientOptions.builder()
                                  .autoReconnect(true)
                                  // Fail at once while disconnected: nothing of ours should queue behind a dead link.
                                  .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                                  .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(1))
                                                         .keepAlive(true).build())
                                  .timeoutOptions(TimeoutOptions.enabled(KEEPER_TIMEOUT))
                                  .build());
        this.probes = new ProbePermits(this, ticker);
        this.rateLimits = new FleetRateLimits(this, ticker);
        this.status = down("not connected yet");
    }

    @Override
    public void start(Consumer<StateRecord> learnedRecords) {
        this.learned = Objects.requireNonNull(learnedRecords, "learned");
        local.start(learnedRecords);
        keeper = Daemon.every("hedgerow-state-keeper", HEARTBEAT, this::keepOnce);
    }

    @Override
    public void publish(StateRecord record) {
        local.publish(record);
        probes.heard(record);
        // Pushed even while the store counts as down: "down" may only mean slow (a heartbeat or a rate-limit check
        // past state.timeout), and the news should still travel, late rather than never. Without a connection the
        // push fails at once; the re-sync when Redis is back writes it then.
        push(record);
    }

    @Override
    public Collection<StateRecord> records() {
        return local.records();
    }

    @Override
    public boolean tryProbe(String breaker) {
        return probes.tryProbe(breaker);
    }

    @Override
    public void releaseProbe(String breaker) {
        probes.release(breaker);
    }

    @Override
    public RateLimits rateLimits() {
        return rateLimits;
    }

    @Override
    public ConversationStore conversations(MemoryConversationStore own,
                                           io.hedgerow.config.ConversationSettings bounds) {
        RedisConversations shared = new RedisConversations(this, own, bounds);
        conversations = shared;
        return shared;
    }

    @Override
    public StoreStatus status() {
        return status;
    }

    @Override
    public void onStatus(Consumer<StoreStatus> listener) {
        statusListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void onSave(java.util.function.Supplier<Collection<StateRecord>> records) {
        local.onSave(records);
    }

    @Override
    public void onBeat(Runnable task) {
        beats.add(Objects.requireNonNull(task, "task"));
    }

    @Override
    public void configHash(String hash) {
        this.configHash = Objects.requireNonNull(hash, "hash");
    }

    // ---- for ProbePermits and FleetRateLimits ----

    boolean up() {
        return up;
    }

    String replica() {
        return replica;
    }

    String key(String name) {
        return prefix + name;
    }

    StateSettings settings() {
        return settings;
    }

    /** The async commands, or null while not connected. */
    RedisAsyncCommands<String, String> commands() {
        StatefulRedisConnection<String, String> c = connection;
        return c == null ? null : c.async();
    }

    /** The replicas that share the rate limits: as configured, or as many as were last seen alive if more. */
    int replicasSharing() {
        return Math.max(settings.replicas(), replicas.size());
    }

    /** A command failed or was too slow: Redis counts as down until a heartbeat answers in time. */
    void markDown(String why) {
        if (up) {
            resyncNeeded = true;
            setStatus(false, why);
        }
    }

    // ---- the keeper ----

    /** One turn of the keeper (a {@link Daemon}: it survives anything, and readiness shows it if it dies). */
    private void keepOnce() {
        if (closed.get()) {
            return;
        }
        Beats.run(beats);
        try {
            if (connection == null) {
                connect();
            }
            if (connection != null) {
                heartbeat();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // What went wrong is the status (logged when it changes).
            markDownOrStay("the state keeper failed: " + rootCause(e));
            LOG.log(System.Logger.Level.DEBUG, "state keeper", e);
        }
    }

    @Override
    public List<Daemon> daemons() {
        List<Daemon> all = new ArrayList<>(local.daemons());
        Daemon k = keeper;
        if (k != null) {
            all.add(k);
        }
        return all;
    }

    private void connect() {
        try {
            StatefulRedisConnection<String, String> c = client.connect();
            StatefulRedisPubSubConnection<String, String> ps = client.connectPubSub();
            ps.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String from, String message) {
                    if (channel.equals(from)) {
                        received(message);
                    } else if (deletedChannel().equals(from)) {
                        deleted(message);
                    }
                }
            });
            ps.sync().subscribe(channel, deletedChannel());
            // Redis compiles a script on its first EVAL: do it now, not on the first change or rate-limit check.
            c.sync().scriptLoad(STORE_IF_NEWER);
            c.sync().scriptLoad(FleetRateLimits.TAKE);
            for (String script : List.of(RedisConversations.PUT, RedisConversations.CHAIN, RedisConversations.DELETE)) {
                c.sync().scriptLoad(script);
            }
            connection = c;
            pubSub = ps;
        } catch (RuntimeException e) {
            String why = "cannot connect to " + settings.safeUrl().orElse("?") + ": " + rootCause(e);
            if (!why.equals(status.detail())) {
                setStatus(false, why);
            }
        }
    }

    private void heartbeat() throws Exception {
        long started = System.nanoTime();
        String beat = Json.MAPPER.writeValueAsString(Json.object().put("id", replica).put("config", configHash)
                                                             .put("seen", clock.millis()));
        try {
            connection.async().set(key("replica:" + replica), beat, SetArgs.Builder.px(REPLICA_TTL.toMillis()))
                    .get(KEEPER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            markDownOrStay("Redis at " + settings.safeUrl().orElse("?") + " unreachable: " + rootCause(e));
            return;
        }
        long took = System.nanoTime() - started;
        // One slow beat may be this JVM warming up or pausing; two in a row are Redis (or the network) being slow.
        slowBeats = took > settings.timeout().toNanos() ? slowBeats + 1 : 0;
        if (slowBeats >= 2) {
            markDownOrStay("Redis at " + settings.safeUrl().orElse("?") + " is slow: a heartbeat took "
                                   + Checks.human(Duration.ofNanos(took)) + " (state.timeout: "
                                   + Checks.human(settings.timeout()) + ")");
            return;
        }
        if (resyncNeeded) {
            resync();
            resyncNeeded = false;
        }
        readReplicas();
        if (!up) {
            setStatus(true, "");
        }
    }

    private void markDownOrStay(String why) {
        resyncNeeded = true;
        if (up || !why.equals(status.detail())) {
            setStatus(false, why);
        }
    }

    /** Takes every stored record newer than ours, then writes back every record of ours newer than the stored. */
    private void resync() throws Exception {
        RedisAsyncCommands<String, String> async = connection.async();
        int taken = 0;
        for (String kind : List.of("key:", "breaker:", "demotion:")) {
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = async.scan(cursor, ScanArgs.Builder.matches(key(kind) + "*").limit(500))
                        .get(KEEPER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (!page.getKeys().isEmpty()) {
                    for (KeyValue<String, String> kv : async.mget(page.getKeys().toArray(String[]::new))
                            .get(KEEPER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                        if (kv.hasValue()) {
                            taken += learn(kv.getValue()) ? 1 : 0;
                        }
                    }
                }
                cursor = page;
            } while (!cursor.isFinished());
        }
        for (StateRecord record : local.records()) {
            push(record);
        }
        LOG.log(System.Logger.Level.INFO, "state: synchronized with {0}: {1} newer records taken",
                settings.safeUrl().orElse("?"), taken);
    }

    private void readReplicas() throws Exception {
        RedisAsyncCommands<String, String> async = connection.async();
        List<String> keys = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = async.scan(cursor, ScanArgs.Builder.matches(key("replica:") + "*").limit(500))
                    .get(KEEPER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished() && keys.size() < 10_000);
        List<StoreStatus.Replica> seen = new ArrayList<>();
        if (!keys.isEmpty()) {
            for (KeyValue<String, String> kv : async.mget(keys.toArray(String[]::new))
                    .get(KEEPER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                if (kv.hasValue()) {
                    try {
                        JsonNode node = Json.MAPPER.readTree(kv.getValue());
                        seen.add(new StoreStatus.Replica(node.path("id").asText("?"), node.path("config").asText(""),
                                                         Instant.ofEpochMilli(node.path("seen").asLong())));
                    } catch (Exception e) {
                        // another program's key under our prefix: not a replica
                    }
                }
            }
        }
        seen.sort(Comparator.comparing(StoreStatus.Replica::id));
        boolean changed = !seen.stream().map(StoreStatus.Replica::id).toList()
                .equals(replicas.stream().map(StoreStatus.Replica::id).toList());
        replicas = List.copyOf(seen);
        if (changed && up) {
            status = upStatus();
        }
    }

    // ---- records in and out ----

    private void push(StateRecord record) {
        RedisAsyncCommands<String, String> async = commands();
        if (async == null) {
            return;
        }
        String json = RecordCodec.write(record);
        async.<Long>eval(STORE_IF_NEWER, ScriptOutputType.INTEGER, new String[]{key(record.id()), channel}, json,
                         Long.toString(record.atMillis()), Long.toString(record.expiresAtMillis()), record.origin())
                .exceptionally(e -> {
                    markDown("cannot write to Redis: " + rootCause(e));
                    return null;
                });
    }

    /** A message on the change channel (on Lettuce's thread): merged on the applier thread. */
    private void received(String message) {
        try {
            applier.execute(() -> learn(message));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private String deletedChannel() {
        return key("responses:deleted");
    }

    /** A response deleted on some replica (on Lettuce's thread): forgotten here too, on the applier thread. */
    private void deleted(String id) {
        RedisConversations shared = conversations;
        if (shared == null) {
            return;
        }
        try {
            applier.execute(() -> shared.deletedElsewhere(id));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** Merges a record from Redis; hands it on when it is newer than ours. Runs on the applier or keeper thread. */
    private boolean learn(String json) {
        var parsed = RecordCodec.read(json);
        if (parsed.isEmpty()) {
            return false;
        }
        StateRecord record = parsed.get();
        // Baselines are each replica's own (its file's), never taken from Redis.
        if (record instanceof StateRecord.Baseline || record.origin().equals(replica) || !local.merge(record)) {
            return false;
        }
        probes.heard(record);
        try {
            learned.accept(record);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "state: cannot apply " + record.id(), e);
        }
        return true;
    }

    // ---- status ----

    private void setStatus(boolean nowUp, String why) {
        up = nowUp;
        status = nowUp ? upStatus() : down(why);
        if (!nowUp) {
            LOG.log(System.Logger.Level.WARNING, "state: " + status.detail());
        } else {
            LOG.log(System.Logger.Level.INFO, "state: " + status.detail());
            RedisConversations shared = conversations;
            if (shared != null) {
                shared.writeBack();
            }
        }
        for (Consumer<StoreStatus> listener : statusListeners) {
            try {
                listener.accept(status);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "state: a status listener failed", e);
            }
        }
    }

    private StoreStatus upStatus() {
        int n = replicas.size();
        return new StoreStatus("redis", true, "shared through " + settings.safeUrl().orElse("?") + " ("
                + n + (n == 1 ? " replica" : " replicas") + " alive)", "fleet-wide", clock.instant(), replica,
                               replicas);
    }

    private StoreStatus down(String why) {
        String limits = settings.whenDown() == StateSettings.WhenDown.REFUSE ? "refused while Redis is down"
                : "per replica: limit / " + replicasSharing();
        return new StoreStatus("redis", false, why + "; carrying on with this replica's own state", limits,
                               clock.instant(), replica, List.of());
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Daemon k = keeper;
        if (k != null) {
            k.close();
        }
        probes.releaseAll();
        local.close();
        applier.shutdown();
        try {
            StatefulRedisConnection<String, String> c = connection;
            if (c != null && up) {
                c.async().del(key("replica:" + replica)).get(200, TimeUnit.MILLISECONDS);
            }
        } catch (Exception e) {
            // leaving anyway: the heartbeat expires on its own
        }
        try {
            if (pubSub != null) {
                pubSub.close();
            }
            if (connection != null) {
                connection.close();
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "state: closing the Redis client", e);
        }
    }

    static String rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage();
        return m == null || m.isBlank() ? c.getClass().getSimpleName() : m;
    }
}
