package io.hedgerow.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.json.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The state snapshot on disk: {@code {"version": 1, "saved": ms, "replica": id, "records": [...]}}.
 *
 * <p>Written whole to a temporary file beside it, forced to disk, then renamed over the old one, so a crash leaves the
 * old snapshot or the new one, never half of one. Read leniently: a missing file is a first start; an unreadable,
 * corrupt, foreign or stale one (saved longer ago than {@link #STALE}) is ignored with a warning; a record that does
 * not parse is skipped; expired records are dropped. A snapshot never stops the router from starting.
 */
final class SnapshotFile {
    private static final System.Logger LOG = System.getLogger(SnapshotFile.class.getName());
    static final int VERSION = 1;
    /** A snapshot older than this says nothing worth trusting about upstreams today. */
    static final Duration STALE = Duration.ofDays(7);
    /** The largest snapshot read: far above any real one (records are bounded by the config's keys and models). */
    static final long MAX_BYTES = 16L * 1024 * 1024;

    private final Path file;

    SnapshotFile(Path file) {
        this.file = Objects.requireNonNull(file, "file");
    }

    Path path() {
        return file;
    }

    /** The records saved and not expired at {@code nowMillis}; empty (with a warning) when the file is unusable. */
    List<StateRecord> read(long nowMillis) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                warn("larger than " + MAX_BYTES + " bytes");
                return List.of();
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            warn("cannot read it: " + e);
            return List.of();
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            warn("not JSON (corrupt?)");
            return List.of();
        }
        if (root == null || !root.isObject() || root.path("version").asInt(-1) != VERSION
                || !root.path("records").isArray() || !root.path("saved").canConvertToLong()) {
            warn("not a Hedgerow state snapshot of version " + VERSION);
            return List.of();
        }
        long saved = root.path("saved").asLong();
        if (nowMillis - saved > STALE.toMillis()) {
            warn("stale: saved " + Duration.ofMillis(nowMillis - saved).toDays() + " days ago");
            return List.of();
        }
        List<StateRecord> records = new ArrayList<>();
        int skipped = 0;
        for (JsonNode node : root.path("records")) {
            var record = RecordCodec.read(node);
            if (record.isEmpty()) {
                skipped++;
            } else if (record.get().expiresAtMillis() > nowMillis) {
                records.add(record.get());
            }
        }
        if (skipped > 0) {
            warn(skipped + " records could not be read and were skipped");
        }
        return records;
    }

    /** Replaces the snapshot with these records (expired ones left out), atomically. */
    void write(Collection<StateRecord> records, String replica, long nowMillis) throws IOException {
        ObjectNode root = Json.object().put("version", VERSION).put("saved", nowMillis).put("replica", replica);
        ArrayNode list = root.putArray("records");
        for (StateRecord record : records) {
            if (record.expiresAtMillis() > nowMillis) {
                list.add(RecordCodec.toJson(record));
            }
        }
        byte[] bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                                    StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void warn(String why) {
        LOG.log(System.Logger.Level.WARNING, "state file " + file + " ignored: " + why
                + "; starting with no saved state");
    }
}
