package io.hedgerow.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the router keeps what it learns about upstream health ({@code state:}), so that it outlives a restart and,
 * with Redis, is shared by every replica.
 *
 * @param store      {@link Store#LOCAL}: in this process, saved to {@code file}; {@link Store#REDIS}: shared
 *                   through the Redis (or Valkey) server at {@code url}, and saved to {@code file} as well
 * @param file       the snapshot file, written atomically on drain and every {@code saveEvery} when something
 *                   changed; empty: none (by default it lies beside the config file as {@code NAME.state.json})
 * @param saveEvery  how often a changed state is written to {@code file}, at most
 * @param url        {@code redis://[user:password@]host[:port][/db]} or {@code rediss://...}; required for Redis
 * @param keyPrefix  the start of every Redis key and channel name this fleet uses (fleets sharing one Redis
 *                   server each take their own)
 * @param timeout    the longest a request waits on Redis (only a fleet-wide rate limit or a probe permit ever
 *                   does); past it, and whenever Redis is unreachable, the router carries on with its local state
 * @param replicas   how many replicas share the fleet-wide rate limits: while Redis is down each enforces
 *                   {@code limit / replicas} (or more replicas, if more were seen alive)
 * @param whenDown   what a rate-limited client gets while Redis is down
 */
public record StateSettings(Store store, Optional<Path> file, Duration saveEvery, Optional<URI> url, String keyPrefix,
                            Duration timeout, int replicas, WhenDown whenDown) {
    /** The longest {@code timeout} allowed: a request must never wait long on shared state. */
    public static final Duration MAX_TIMEOUT = Duration.ofSeconds(1);
    /** In this process, no file (a config built in code; a config file sets the file beside itself). */
    public static final StateSettings DEFAULTS = new StateSettings(Store.LOCAL, Optional.empty(),
                                                                   Duration.ofSeconds(5), Optional.empty(),
                                                                   "hedgerow:", Duration.ofMillis(50), 1,
                                                                   WhenDown.PER_REPLICA);

    public StateSettings {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(file, "file");
        Checks.positive("state.save-every", saveEvery);
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Checks.positive("state.timeout", timeout);
        if (timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("state.timeout: " + Checks.human(timeout) + " (expected: at most "
                                                       + Checks.human(MAX_TIMEOUT) + ")");
        }
        Checks.atLeast("state.replicas", replicas, 1);
        Objects.requireNonNull(whenDown, "whenDown");
        if (store == Store.REDIS && url.isEmpty()) {
            throw new IllegalArgumentException("state.url: missing (expected: redis://host:port when store is redis)");
        }
    }

    /** These settings with another snapshot file (or none). */
    public StateSettings withFile(Optional<Path> newFile) {
        return new StateSettings(store, newFile, saveEvery, url, keyPrefix, timeout, replicas, whenDown);
    }

    /** The default snapshot file for a config file: {@code NAME.state.json} in the same directory. */
    public static Path fileBeside(Path configFile) {
        String name = configFile.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return configFile.resolveSibling(stem + ".state.json");
    }

    /** The url as people may see it: without a password. */
    public Optional<String> safeUrl() {
        return url.map(u -> {
            String auth = u.getRawUserInfo();
            return auth == null ? u.toString() : u.toString().replace(auth + "@", "***@");
        });
    }

    /** Where shared state lives. */
    public enum Store {
        LOCAL, REDIS;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a client with a rate limit gets while Redis cannot be asked. */
    public enum WhenDown {
        /** Each replica enforces its share, {@code limit / replicas}: the fleet never admits more than the limit. */
        PER_REPLICA,
        /** Rate-limited clients are refused (503) until Redis is back. */
        REFUSE;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }
}
