package io.hedgerow.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Every log record the router writes while it is open, at any level, formatted with its stack trace: for tests that
 * assert what is (or is not) logged. {@link #close} puts the root logger back.
 */
public final class LogCapture implements AutoCloseable {
    private final List<String> records = new CopyOnWriteArrayList<>();
    private final Logger root = Logger.getLogger("");
    private final Level rootLevel = root.getLevel();
    private final Handler handler = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            records.add(formatter.format(record));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogCapture() {
    }

    /** Starts capturing every record (the root logger is set to log everything meanwhile). */
    public static LogCapture start() {
        LogCapture capture = new LogCapture();
        capture.root.setLevel(Level.ALL);
        capture.root.addHandler(capture.handler);
        return capture;
    }

    /** The records so far, each formatted as one string (message, then the stack trace if any). */
    public List<String> records() {
        return List.copyOf(records);
    }

    /** The records that contain {@code text}. */
    public List<String> containing(String text) {
        return records.stream().filter(r -> r.contains(text)).toList();
    }

    @Override
    public void close() {
        root.removeHandler(handler);
        root.setLevel(rootLevel);
    }
}
