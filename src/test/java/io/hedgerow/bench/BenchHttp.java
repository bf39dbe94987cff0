package io.hedgerow.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A minimal HTTP/1.1 client for load generation: one blocking socket per {@link Connection}, kept alive,
 * requests written from pre-built bytes, responses parsed by hand ({@code Content-Length} and chunked bodies).
 * For {@code text/event-stream} answers it notes, per socket read, when each {@code data:} event arrived, the
 * first content chunk, and how long each content chunk took since its sender wrote its {@link System#nanoTime()}
 * into it (see {@link FakeUpstream}).
 *
 * <p>Why not {@code java.net.http.HttpClient}: its asynchronous machinery costs client CPU that the router and
 * upstream need on a 2-core machine, and it does not tell when a chunk's bytes came off the socket. This client
 * reads straight from the socket on the calling (virtual) thread, like {@code wrk} does, and allocates little
 * per request. Not thread-safe: one exchange at a time per connection.
 */
final class BenchHttp {
    private BenchHttp() {
    }

    /** A {@code POST} with a JSON body, as bytes ready to write. */
    static byte[] post(InetSocketAddress address, String path, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\n"
                + "Host: " + address.getHostString() + ":" + address.getPort() + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, request, 0, headBytes.length);
        System.arraycopy(body, 0, request, headBytes.length, body.length);
        return request;
    }

    /** A {@code GET} of a path, as bytes ready to write. */
    static byte[] get(InetSocketAddress address, String path) {
        return ("GET " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** What one exchange produced. Stream fields are 0 / -1 for non-stream answers. */
    static final class Result {
        int status;
        long bodyBytes;
        boolean keepAlive;
        /** When the first content chunk arrived (nanoTime), or 0. */
        long firstContentNanos;
        /** When the last content chunk arrived (nanoTime), or 0. */
        long lastContentNanos;
        int contentChunks;
        boolean done;
        /** Content chunks whose embedded send time was later than their arrival: the clocks are not shared. */
        int clockAnomalies;
        /** Captured body (only when asked for). */
        StringBuilder body;

        void reset() {
            status = 0;
            bodyBytes = 0;
            keepAlive = true;
            firstContentNanos = 0;
            lastContentNanos = 0;
            contentChunks = 0;
            done = false;
            clockAnomalies = 0;
            body = null;
        }
    }

    /** Receives, for each content chunk, nanoseconds from its sender's write to its arrival here. */
    @FunctionalInterface
    interface ChunkLagSink {
        void record(long lagNanos);
    }

    /** One keep-alive connection. */
    static final class Connection implements AutoCloseable {
        private static final byte[] CONTENT_KEY = "\"content\":\"".getBytes(StandardCharsets.US_ASCII);

        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final byte[] buf = new byte[16 * 1024];
        private int pos;
        private int limit;
        private long readNanos;
        private final byte[] line = new byte[8 * 1024];
        private int lineLength;
        private final StringBuilder headerLine = new StringBuilder(128);

        private Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        static Connection open(InetSocketAddress address, int timeoutMillis) throws IOException {
            Socket socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(timeoutMillis);
                socket.connect(address, timeoutMillis);
                return new Connection(socket);
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        }

        /**
         * Writes a request and reads its whole answer into {@code result}.
         *
         * @param lags        where content-chunk lags go (stream answers), or null
         * @param captureBody whether to keep the body text (for checks, not for load)
         */
        void exchange(byte[] request, Result result, ChunkLagSink lags, boolean captureBody) throws IOException {
            result.reset();
            if (captureBody) {
                result.body = new StringBuilder();
            }
            out.write(request);
            out.flush();
            String statusLine = readHeaderLine();
            if (!statusLine.startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP response: " + statusLine);
            }
            result.status = Integer.parseInt(statusLine.substring(9, 12));
            result.keepAlive = statusLine.startsWith("HTTP/1.1");
            long contentLength = -1;
            boolean chunked = false;
            boolean eventStream = false;
            while (true) {
                String header = readHeaderLine();
                if (header.isEmpty()) {
                    break;
                }
                int colon = header.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = header.substring(0, colon).trim();
                String value = header.substring(colon + 1).trim();
                if (name.equalsIgnoreCase("content-length")) {
                    contentLength = Long.parseLong(value);
                } else if (name.equalsIgnoreCase("transfer-encoding")) {
                    chunked = value.toLowerCase(java.util.Locale.ROOT).contains("chunked");
                } else if (name.equalsIgnoreCase("connection")) {
                    String v = value.toLowerCase(java.util.Locale.ROOT);
                    if (v.contains("close")) {
                        result.keepAlive = false;
                    } else if (v.contains("keep-alive")) {
                        result.keepAlive = true;
                    }
                } else if (name.equalsIgnoreCase("content-type")) {
                    eventStream = value.startsWith("text/event-stream");
                }
            }
            lineLength = 0;
            if (chunked) {
                readChunked(result, eventStream, lags);
            } else if (contentLength >= 0) {
                readBytes(contentLength, result, eventStream, lags);
            } else {
                result.keepAlive = false;
                readToEnd(result, eventStream, lags);
            }
        }

        private void readChunked(Result result, boolean sse, ChunkLagSink lags) throws IOException {
            while (true) {
                String sizeLine = readHeaderLine();
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
                if (size == 0) {
                    while (!readHeaderLine().isEmpty()) {
                        // trailers carry nothing we use
                    }
                    return;
                }
                readBytes(size, result, sse, lags);
                if (!readHeaderLine().isEmpty()) {
                    throw new IOException("chunk not followed by CRLF");
                }
            }
        }

        private void readBytes(long count, Result result, boolean sse, ChunkLagSink lags) throws IOException {
            long left = count;
            while (left > 0) {
                if (pos == limit) {
                    fill();
                }
                int n = (int) Math.min(left, limit - pos);
                consume(pos, n, result, sse, lags);
                pos += n;
                left -= n;
            }
        }

        private void readToEnd(Result result, boolean sse, ChunkLagSink lags) throws IOException {
            while (true) {
                if (pos == limit) {
                    int n = in.read(buf, 0, buf.length);
                    if (n < 0) {
                        return;
                    }
                    readNanos = System.nanoTime();
                    pos = 0;
                    limit = n;
                }
                consume(pos, limit - pos, result, sse, lags);
                pos = limit;
            }
        }

        private void consume(int from, int n, Result result, boolean sse, ChunkLagSink lags) {
            result.bodyBytes += n;
            if (result.body != null) {
                result.body.append(new String(buf, from, n, StandardCharsets.UTF_8));
            }
            if (!sse) {
                return;
            }
            for (int i = from; i < from + n; i++) {
                byte b = buf[i];
                if (b == '\n') {
                    onLine(result, lags);
                    lineLength = 0;
                } else if (lineLength < line.length) {
                    line[lineLength++] = b;
                }
            }
        }

        /** One SSE line: a {@code data:} with content counts as a content chunk (the role chunk's "" does not). */
        private void onLine(Result result, ChunkLagSink lags) {
            if (lineLength < 6 || line[0] != 'd' || line[4] != ':') {
                return;
            }
            if (lineLength >= 12 && line[6] == '[' && line[7] == 'D') {
                result.done = true;
                return;
            }
            int at = indexOf(line, lineLength, CONTENT_KEY);
            if (at < 0) {
                return;
            }
            int i = at + CONTENT_KEY.length;
            if (i >= lineLength || line[i] == '"') {
                return; // empty content: the role chunk
            }
            result.contentChunks++;
            if (result.firstContentNanos == 0) {
                result.firstContentNanos = readNanos;
            }
            result.lastContentNanos = readNanos;
            long sent = 0;
            int digits = 0;
            while (i < lineLength && line[i] >= '0' && line[i] <= '9' && digits < 19) {
                sent = sent * 10 + (line[i] - '0');
                i++;
                digits++;
            }
            if (digits > 0 && lags != null) {
                long lag = readNanos - sent;
                if (lag < 0) {
                    result.clockAnomalies++;
                } else {
                    lags.record(lag);
                }
            }
        }

        private static int indexOf(byte[] hay, int length, byte[] needle) {
            outer:
            for (int i = 0; i + needle.length <= length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (hay[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        private String readHeaderLine() throws IOException {
            headerLine.setLength(0);
            while (true) {
                if (pos == limit) {
                    fill();
                }
                byte b = buf[pos++];
                if (b == '\n') {
                    int len = headerLine.length();
                    if (len > 0 && headerLine.charAt(len - 1) == '\r') {
                        headerLine.setLength(len - 1);
                    }
                    return headerLine.toString();
                }
                if (headerLine.length() > 16 * 1024) {
                    throw new IOException("header line too long");
                }
                headerLine.append((char) (b & 0xff));
            }
        }

        private void fill() throws IOException {
            int n = in.read(buf, 0, buf.length);
            if (n < 0) {
                throw new EOFException("connection closed by the server");
            }
            readNanos = System.nanoTime();
            pos = 0;
            limit = n;
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a dead socket tells us nothing
            }
        }
    }

    /** One request on a fresh connection; for set-up checks, not for load. */
    static Result once(InetSocketAddress address, byte[] request, int timeoutMillis) throws IOException {
        Objects.requireNonNull(address, "address");
        try (Connection c = Connection.open(address, timeoutMillis)) {
            Result result = new Result();
            c.exchange(request, result, null, true);
            return result;
        }
    }
}
