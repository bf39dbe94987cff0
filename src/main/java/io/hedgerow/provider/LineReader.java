package io.hedgerow.provider;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads UTF-8 lines (ending in LF, CRLF or CR) from an upstream body without trusting it: a line longer
 * than the cap is an error instead of unbounded memory. Not thread-safe: one reader per stream.
 */
public final class LineReader {
    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[8192];
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
