package io.hedgerow.state;

import io.hedgerow.config.StateSettings;
import io.hedgerow.time.Daemon;
import io.hedgerow.time.Ticker;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * State in this process, saved to a snapshot file ({@code state.file}) so that a restarted router carries on where it
 * left off: the newest record of each thing is kept; a background thread writes the file every
 * {@code state.save-every} when something changed, and {@link #close()} (the drain) writes it once more.
 *
 * <p>Thread-safe: records are a concurrent map merged newest-wins; saves are serialized by a lock. The saver is a
 * {@link Daemon}: it survives any failure (a failed save is logged once per kind and shown in the status), shows in
 * readiness if it dies, and never touches a request.
 */
public final class LocalStore implements StateStore {
    private static final System.Logger LOG = System.getLogger(LocalStore.class.getName());

    private final StateSettings settings;
    private final Clock clock;
    private final String replica;
    private final Optional<SnapshotFile> file;
    private final RateLimits rateLimits;
    private final ConcurrentHashMap<String, StateRecord> records = new ConcurrentHashMap<>();
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object saving = new Object();
    private final java.time.Instant started;
    private volatile String lastSaveProblem = "";
    private volatile Daemon saver;
    private final List<Runnable> beats = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<java.util.function.Supplier<Collection<StateRecord>>> extras =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    /** How often what changes all the time (long-run baselines) is saved, when nothing else made the file dirty. */
    static final java.time.Duration EXTRAS_EVERY = java.time.Duration.ofMinutes(1);
    private final Ticker ticker;
    private volatile long lastSaveNanos;

    public LocalStore(StateSettings settings, Clock clock, Ticker ticker, String replica) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.replica = Objects.requireNonNull(replica, "replica");
        this.file = settings.file().map(SnapshotFile::new);
        this.rateLimits = new LocalRateLimits(ticker);
        this.ticker = ticker;
        this.lastSaveNanos = ticker.read();
        this.started = clock.instant();
    }

    @Override
    public void start(Consumer<StateRecord> learned) {
        Objects.requireNonNull(learned, "learned");
        List<StateRecord> saved = file.map(f -> f.read(clock.millis())).orElse(List.of());
        for (StateRecord record : saved) {
            // A baseline is this process's own: handed on, not kept among the records it shares.
            if (record instanceof StateRecord.Baseline || merge(record)) {
                learned.accept(record);
            }
        }
        if (!saved.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "state: {0} records read from {1}", saved.size(), file.get().path());
        }
        if (file.isPresent()) {
            saver = Daemon.every("hedgerow-state-saver", settings.saveEvery(), () -> {
                Beats.run(beats);
                boolean extrasDue = !extras.isEmpty() && ticker.read() - lastSaveNanos >= EXTRAS_EVERY.toNanos();
                if ((dirty.get() || extrasDue) && !closed.get()) {
                    save();
                }
            });
        }
    }

    @Override
    public void publish(StateRecord record) {
        if (merge(record)) {
            dirty.set(true);
        }
    }

    /** Keeps {@code record} if it is newer than the one known; true when it was. */
    boolean merge(StateRecord record) {
        Objects.requireNonNull(record, "record");
        boolean[] kept = new boolean[1];
        records.merge(record.id(), record, (old, next) -> {
            kept[0] = next.newerThan(old);
            return kept[0] ? next : old;
        });
        // merge() put it when there was none
        return kept[0] || records.get(record.id()) == record;
    }

    /** The newest record of one thing. */
    Optional<StateRecord> record(String id) {
        return Optional.ofNullable(records.get(id));
    }

    @Override
    public Collection<StateRecord> records() {
        long now = clock.millis();
        records.values().removeIf(r -> r.expiresAtMillis() <= now);
        return List.copyOf(records.values());
    }

    @Override
    public boolean tryProbe(String breaker) {
        return true;
    }

    @Override
    public void releaseProbe(String breaker) {
    }

    @Override
    public RateLimits rateLimits() {
        return rateLimits;
    }

    @Override
    public StoreStatus status() {
        String where = file.map(f -> "in this process, saved to " + f.path()).orElse("in this process only (no "
                + "state file)");
        String problem = lastSaveProblem;
        return new StoreStatus("local", true, problem.isEmpty() ? where : where + "; last save failed: " + problem,
                               "per-process", started, replica, List.of());
    }

    @Override
    public void onStatus(Consumer<StoreStatus> listener) {
        // a local store does not change
    }

    @Override
    public void onSave(java.util.function.Supplier<Collection<StateRecord>> records) {
        extras.add(Objects.requireNonNull(records, "records"));
    }

    @Override
    public void onBeat(Runnable task) {
        beats.add(Objects.requireNonNull(task, "task"));
    }

    @Override
    public List<Daemon> daemons() {
        Daemon d = saver;
        return d == null ? List.of() : List.of(d);
    }

    /** Where the snapshot goes, if anywhere. */
    public Optional<java.nio.file.Path> file() {
        return file.map(SnapshotFile::path);
    }

    /** Writes the snapshot now (when there is a file). */
    void save() {
        if (file.isEmpty()) {
            return;
        }
        synchronized (saving) {
            dirty.set(false);
            lastSaveNanos = ticker.read();
            List<StateRecord> all = new ArrayList<>(records());
            for (var extra : extras) {
                try {
                    all.addAll(extra.get());
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "state: cannot gather records to save", e);
                }
            }
            try {
                file.get().write(all, replica, clock.millis());
                lastSaveProblem = "";
            } catch (IOException | RuntimeException e) {
                dirty.set(true);
                String problem = e.toString();
                if (!problem.equals(lastSaveProblem)) {
                    LOG.log(System.Logger.Level.WARNING, "state: cannot save " + file.get().path() + ": " + problem);
                }
                lastSaveProblem = problem;
            }
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Daemon d = saver;
        if (d != null) {
            d.close();
        }
        save();
    }
}
