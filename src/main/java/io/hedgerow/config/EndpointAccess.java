package io.hedgerow.config;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may read the router's own pages: {@code /status} (JSON and page), which shows routes, key labels, cooldowns,
 * events and the config file's path, and {@code /observe/metrics}.
 *
 * @param status  {@code server.status-access}
 * @param metrics {@code server.metrics-access}
 */
public record EndpointAccess(Mode status, Mode metrics) {
    /** Status behind the keys, metrics open (Prometheus scrapes without credentials unless told to). */
    public static final EndpointAccess DEFAULTS = new EndpointAccess(Mode.KEYS, Mode.OPEN);

    public EndpointAccess {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(metrics, "metrics");
    }

    /** How one endpoint is guarded. */
    public enum Mode {
        /**
         * {@code Authorization: Bearer KEY} (or Basic with the key as password, for browsers) must carry the admin key
         * or a client key, whenever either is configured; a router with neither is open, and so is the endpoint.
         */
        KEYS,
        /** As {@link #KEYS}, except that a client on a loopback address needs no key (a dashboard on the host). */
        LOOPBACK,
        /** Anyone who can reach the router. */
        OPEN;

        /** The mode written in config: {@code keys}, {@code loopback} or {@code open}. */
        public static Optional<Mode> parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "keys" -> Optional.of(KEYS);
                case "loopback" -> Optional.of(LOOPBACK);
                case "open" -> Optional.of(OPEN);
                default -> Optional.empty();
            };
        }

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
