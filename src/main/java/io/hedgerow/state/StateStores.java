package io.hedgerow.state;

import io.hedgerow.config.StateSettings;
import io.hedgerow.time.Ticker;

import java.net.InetAddress;
import java.time.Clock;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Opens the store {@code state:} asks for, and names this replica. */
public final class StateStores {
    private StateStores() {
    }

    /** The configured store, not yet started. */
    public static StateStore open(StateSettings settings, Clock clock, Ticker ticker, String replica) {
        return switch (settings.store()) {
            case LOCAL -> new LocalStore(settings, clock, ticker, replica);
            case REDIS -> new RedisStore(settings, clock, ticker, replica);
        };
    }

    /**
     * A name for this replica, unique in a fleet and readable on a status page: {@code HOST-PID-XXXX} (the random
     * part tells apart two routers in one process, and a restarted process that got the same pid).
     */
    public static String replicaId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "host";
        }
        host = host.replaceAll("[^A-Za-z0-9._-]", "_");
        if (host.length() > 40) {
            host = host.substring(0, 40);
        }
        byte[] random = new byte[2];
        ThreadLocalRandom.current().nextBytes(random);
        return host + "-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(random);
    }
}
