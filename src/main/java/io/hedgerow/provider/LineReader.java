package io.hedgerow.provider;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads UTF-8 lines (ending in LF, CRLF or CR) from an upstream body without trusting it: a line longer
 * than the cap is an error instead of unbounded memory. Not thread-safe: one reader per stream.
 *
 * <p>Reads ask for at most {@value #READ_SIZE} bytes: Helidon's response stream allocates a buffer of the size
 * asked for on every read, and a stream event is typically a few hundred bytes, so 8 KiB reads allocated 8 KiB
 * per event (more than half of what the router allocated per streamed answer). Longer lines take more reads.
 */
public final class LineReader {
    static final int READ_SIZE = 1024;

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[READ_SIZE];
    private int pos;
    private int limit;
    private byte[] line = new byte[256];
    private boolean skipLf;

    public LineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /**
     * The next line without its terminator, or empty at end of input. A last line with no terminator is
     * returned as a line.
     *
     * @throws LineTooLongException when a line exceeds the cap
     */
    public Optional<String> readLine() throws IOException {
        int length = 0;
        boolean sawAny = false;
        while (true) {
            if (pos == limit) {
                limit = in.read(buffer, 0, buffer.length);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    return sawAny ? Optional.of(new String(line, 0, length, StandardCharsets.UTF_8)) : Optional.empty();
                }
            }
            byte b = buffer[pos++];
            if (skipLf) {
                skipLf = false;
                if (b == '\n') {
                    continue;
                }
            }
            if (b == '\n' || b == '\r') {
                skipLf = b == '\r';
                return Optional.of(new String(line, 0, length, StandardCharsets.UTF_8));
            }
            sawAny = true;
            if (length == maxLineBytes) {
                throw new LineTooLongException(maxLineBytes);
            }
            if (length == line.length) {
                byte[] bigger = new byte[Math.min(maxLineBytes, line.length * 2)];
                System.arraycopy(line, 0, bigger, 0, length);
                line = bigger;
            }
            line[length++] = b;
        }
    }

    /** A line exceeded the configured cap. */
    public static final class LineTooLongException extends IOException {
        LineTooLongException(int max) {
            super("line longer than " + max + " bytes");
        }
    }
}
