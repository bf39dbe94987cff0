package io.hedgerow.state;

import io.hedgerow.config.ConversationSettings;
import io.hedgerow.time.Ticker;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link ConversationStore} in this process's memory, bounded by count and by bytes, oldest first out: responses are
 * kept in the order they were stored; storing one past a bound forgets the oldest until both bounds hold, and one is
 * forgotten {@code ttl} after it was stored (checked lazily, when the store is next used). Thread-safe: every method
 * holds the store's lock, for a map operation and the evictions it causes.
 */
public final class MemoryConversationStore implements ConversationStore {
    private final Ticker ticker;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private ConversationSettings settings;
    private long bytes;

    private record Entry(StoredResponse response, long storedNanos) {
    }

    public MemoryConversationStore(ConversationSettings settings, Ticker ticker) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    /** New bounds (a config reload): what no longer fits is forgotten at once. */
    @Override
    public synchronized void settings(ConversationSettings newSettings) {
        this.settings = Objects.requireNonNull(newSettings, "newSettings");
        evict(0);
    }

    @Override
    public synchronized boolean put(StoredResponse response) {
        Objects.requireNonNull(response, "response");
        remove(response.id());
        if (response.size() > settings.maxBytes()) {
            return false;
        }
        evict(response.size());
        entries.put(response.id(), new Entry(response, ticker.read()));
        bytes += response.size();
        return true;
    }

    @Override
    public synchronized Optional<StoredResponse> get(String id) {
        expire();
        Entry entry = entries.get(id);
        return entry == null ? Optional.empty() : Optional.of(entry.response());
    }

    @Override
    public synchronized boolean delete(String id) {
        expire();
        return remove(id);
    }

    /** The responses kept now, oldest first. */
    public synchronized java.util.List<StoredResponse> responses() {
        expire();
        return entries.values().stream().map(Entry::response).toList();
    }

    /** How many responses are kept now. */
    public synchronized int size() {
        expire();
        return entries.size();
    }

    /** The bytes they take now. */
    public synchronized long bytes() {
        expire();
        return bytes;
    }

    private boolean remove(String id) {
        Entry old = entries.remove(id);
        if (old != null) {
            bytes -= old.response().size();
        }
        return old != null;
    }

    /** Forgets the expired, then the oldest until {@code incoming} more bytes and one more response fit. */
    private void evict(long incoming) {
        expire();
        Iterator<Entry> oldest = entries.values().iterator();
        while (oldest.hasNext() && (entries.size() + (incoming > 0 ? 1 : 0) > settings.maxResponses()
                || bytes + incoming > settings.maxBytes())) {
            bytes -= oldest.next().response().size();
            oldest.remove();
        }
    }

    private void expire() {
        long now = ticker.read();
        long ttl = settings.ttl().toNanos();
        Iterator<Entry> oldest = entries.values().iterator();
        while (oldest.hasNext()) {
            Entry entry = oldest.next();
            if (now - entry.storedNanos() < ttl) {
                return;
            }
            bytes -= entry.response().size();
            oldest.remove();
        }
    }
}
