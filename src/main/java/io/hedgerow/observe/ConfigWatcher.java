package io.hedgerow.observe;

import io.hedgerow.time.Daemon;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Watches the config file and reloads it when its content changes. The directory is watched, not the file:
 * editors save by writing a new file and renaming it over the old one, and a watched file would be lost then.
 * Events are debounced (a save often comes as several events, and a file may be written in pieces): once the
 * directory has been quiet for {@code quiet}, the file's SHA-256 is compared with the last one seen, and only a
 * different content triggers a reload. A file that is being written when read reloads as invalid (the old config
 * stays) and reloads again when the writer's last event arrives.
 *
 * <p>Runs on one {@link Daemon} thread; {@link #close()} stops it.
 */
public final class ConfigWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ConfigWatcher.class.getName());

    private final Path file;
    private final Duration quiet;
    private final Consumer<String> reload;
    private final WatchService watcher;
    private volatile Daemon daemon;
    private volatile byte[] lastDigest;

    private ConfigWatcher(Path file, Duration quiet, Consumer<String> reload) throws IOException {
        this.file = file.toAbsolutePath().normalize();
        this.quiet = quiet;
        this.reload = reload;
        this.lastDigest = digest(this.file);
        this.watcher = FileSystems.getDefault().newWatchService();
        Path dir = this.file.getParent();
        dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                     StandardWatchEventKinds.ENTRY_DELETE);
    }

    /**
     * Starts watching.
     *
     * @param file   the config file
     * @param quiet  how long the directory must be quiet before the file is read
     * @param reload called with {@code "file"} when the content changed
     */
    public static ConfigWatcher start(Path file, Duration quiet, Consumer<String> reload) throws IOException {
        ConfigWatcher w = new ConfigWatcher(file, quiet, reload);
        w.daemon = Daemon.loop("hedgerow-config-watch", w::turn);
        return w;
    }

    /** Marks the file's current content as seen (after a reload asked for by other means). */
    public void seen() {
        lastDigest = digest(file);
    }

    /** The watching thread; readiness reports it when it stops. */
    public Daemon daemon() {
        return daemon;
    }

    /** Waits for the directory's next events, lets them settle, and reloads when the file changed. */
    private void turn() throws InterruptedException {
        try {
            WatchKey key = watcher.take();
            boolean relevant = drain(key);
            // Debounce: keep absorbing events until the directory has been quiet for a while.
            while (true) {
                WatchKey more = watcher.poll(quiet.toNanos(), TimeUnit.NANOSECONDS);
                if (more == null) {
                    break;
                }
                relevant |= drain(more);
            }
            if (relevant) {
                check();
            }
        } catch (ClosedWatchServiceException e) {
            throw new InterruptedException("closed");
        }
    }

    /** Reads a key's events; true if one may concern the file (its name, or a symlink swap in its directory). */
    private boolean drain(WatchKey key) {
        boolean relevant = false;
        for (var event : key.pollEvents()) {
            Object context = event.context();
            if (event.kind() == StandardWatchEventKinds.OVERFLOW || !(context instanceof Path name)
                    || name.equals(file.getFileName()) || Files.isSymbolicLink(file)) {
                relevant = true;
            }
        }
        key.reset();
        return relevant;
    }

    private void check() {
        byte[] digest = digest(file);
        if (digest == null || Arrays.equals(digest, lastDigest)) {
            return;
        }
        lastDigest = digest;
        try {
            reload.accept("file");
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "config reload failed", e);
        }
    }

    private static byte[] digest(Path file) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }

    @Override
    public void close() {
        Daemon d = daemon;
        if (d != null) {
            d.close();
        }
        try {
            watcher.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the config watcher", e);
        }
    }
}
