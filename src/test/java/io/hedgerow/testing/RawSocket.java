package io.hedgerow.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.x connection written and read by hand, for what no HTTP client will send: HTTP/1.0, pipelined requests,
 * headers or bodies that never finish, a client that stops reading or hangs up mid-request. Every read has a
 * timeout, so a hung router fails the test instead of hanging it.
 */
public final class RawSocket implements AutoCloseable {
    private static final int READ_TIMEOUT_MILLIS = 15_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final int port;

    private RawSocket(Socket socket, int port) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.port = port;
    }

    /** Connects to a router on loopback. */
    public static RawSocket connect(int port) {
        return connect(port, 0);
    }

    /** Connects with a small receive buffer (bytes; 0 for the default): a client that reads slowly fills it fast. */
    public static RawSocket connect(int port, int receiveBuffer) {
        try {
            Socket socket = new Socket();
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            socket.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            return new RawSocket(socket, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A POST of JSON to {@code path}, as bytes ({@code HTTP/1.1}, with {@code Content-Length}). */
    public static byte[] post(int port, String path, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    public int port() {
        return port;
    }

    /** Writes and flushes. */
    public RawSocket send(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RawSocket send(String text) {
        return send(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads one response: status line, headers, and a body by Content-Length or chunked (or to the end). */
    public Response read() {
        return read(in);
    }

    /**
     * Everything the router sends until it closes the connection (end of stream or reset) or {@code timeout} passes,
     * parsed as responses: what a client that sent several requests at once would see. Bytes that do not parse as a
     * response are kept in {@link Transcript#raw}.
     */
    public Transcript readUntilClosed(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        boolean closed = false;
        boolean reset = false;
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                int n;
                try {
                    n = in.read(buffer);
                } catch (SocketTimeoutException e) {
                    break;
                }
                if (n < 0) {
                    closed = true;
                    break;
                }
                all.write(buffer, 0, n);
            }
        } catch (SocketException e) {
            closed = true;
            reset = true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = all.toByteArray();
        java.util.List<Response> responses = new java.util.ArrayList<>();
        InputStream replay = new java.io.ByteArrayInputStream(bytes);
        while (true) {
            try {
                replay.mark(Integer.MAX_VALUE);
                if (replay.read() < 0) {
                    break;
                }
                replay.reset();
                responses.add(read(replay));
            } catch (RuntimeException | IOException e) {
                break;
            }
        }
        return new Transcript(java.util.List.copyOf(responses), closed, reset,
                              new String(bytes, StandardCharsets.UTF_8));
    }

    private static Response read(InputStream in) {
        try {
            String status = line(in);
            if (status == null) {
                throw new IOException("connection closed before a response");
            }
            Map<String, String> headers = new LinkedHashMap<>();
            String header;
            while ((header = line(in)) != null && !header.isEmpty()) {
                int colon = header.indexOf(':');
                headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (headers.containsKey("content-length")) {
                body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
            } else if ("chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", ""))) {
                while (true) {
                    String size = line(in);
                    if (size == null) {
                        break;
                    }
                    int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                    if (n == 0) {
                        line(in);
                        break;
                    }
                    body.write(in.readNBytes(n));
                    line(in);
                }
            } else {
                body.write(in.readAllBytes());
            }
            return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the status line and headers only, leaving the body unread. */
    public String readHead() {
        try {
            StringBuilder sb = new StringBuilder();
            String line;
            while ((line = line()) != null && !line.isEmpty()) {
                sb.append(line).append('\n');
            }
            return sb.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether the router closes the connection within {@code timeout}: a read returns end of stream or the
     * connection is reset. Bytes that arrive meanwhile are skipped.
     */
    public boolean closedWithin(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buffer = new byte[8192];
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                try {
                    if (in.read(buffer) < 0) {
                        return true;
                    }
                } catch (SocketTimeoutException e) {
                    return false;
                }
            }
        } catch (SocketException e) {
            return true; // reset
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String line() throws IOException {
        return line(in);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.UTF_8);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }

    /** Closes at once; with {@code reset}, with an RST instead of a FIN. */
    public void close(boolean reset) {
        try {
            if (reset) {
                socket.setSoLinger(true, 0);
            }
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        close(false);
    }

    /**
     * What came back on a connection: every response parsed, in order, whether the router closed the connection (and
     * whether with a reset: a close with unread bytes, which may destroy an answer the client has not read yet), and
     * the bytes as received.
     */
    public record Transcript(java.util.List<Response> responses, boolean closed, boolean reset, String raw) {
        /** The statuses of the responses, in order. */
        public java.util.List<Integer> statuses() {
            return responses.stream().map(Response::status).toList();
        }
    }

    /** A response as read: the status line, headers by lower-case name, and the body as text. */
    public record Response(String statusLine, Map<String, String> headers, String body) {
        public int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }
}
