package io.hedgerow.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The kernel's table of TCP connections ({@code /proc/net/tcp} and {@code tcp6}, Linux only), read to tell whether
 * a client is still connected without reading from (or writing to) its socket: after the client closes, its
 * connection is in {@code CLOSE_WAIT}; after it resets, the connection is gone from the table.
 *
 * <p>Each line is {@code sl: LOCAL_ADDR:PORT REMOTE_ADDR:PORT STATE ...} with ports and state in hex. Lines are
 * parsed by hand, keeping only those on the listening ports asked about, since the table also lists every
 * upstream connection and every connection in {@code TIME_WAIT}.
 */
class TcpTable { // not final: tests time its reads
    static final int ESTABLISHED = 0x01;
    static final int CLOSE_WAIT = 0x08;
    private static final List<Path> FILES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

    private final List<Path> files;

    TcpTable(List<Path> files) {
        this.files = List.copyOf(files);
    }

    /** The table of this machine, if it has one this process can read. */
    static Optional<TcpTable> system() {
        TcpTable table = new TcpTable(FILES);
        try {
            table.read(Set.of(0));
            return Optional.of(table);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The state of each connection on these local ports, keyed by {@link #key(int, int)}; when a pair appears more
     * than once (two clients on one port number, from different addresses), an established one wins.
     */
    Map<Long, Integer> read(Set<Integer> localPorts) throws IOException {
        Map<Long, Integer> states = new HashMap<>();
        for (Path file : files) {
            if (!Files.exists(file)) {
                continue;
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readAllBytes();
            }
            parse(bytes, localPorts, states);
        }
        return states;
    }

    static long key(int localPort, int remotePort) {
        return ((long) localPort << 16) | remotePort;
    }

    static void parse(byte[] b, Set<Integer> localPorts, Map<Long, Integer> states) {
        int i = 0;
        int n = b.length;
        // Skip the header line.
        while (i < n && b[i] != '\n') {
            i++;
        }
        while (i < n) {
            i++; // past '\n'
            // "   0: " -> past the first ':'
            while (i < n && b[i] != ':' && b[i] != '\n') {
                i++;
            }
            if (i >= n || b[i] == '\n') {
                continue;
            }
            i++;
            i = skipSpaces(b, i);
            i = skipHex(b, i); // local address
            if (i >= n || b[i] != ':') {
                i = endOfLine(b, i);
                continue;
            }
            int localPort = hex(b, i + 1, 4);
            i = skipSpaces(b, i + 5);
            i = skipHex(b, i); // remote address
            if (i >= n || b[i] != ':' || localPort < 0) {
                i = endOfLine(b, i);
                continue;
            }
            int remotePort = hex(b, i + 1, 4);
            i = skipSpaces(b, i + 5);
            int state = hex(b, i, 2);
            if (remotePort >= 0 && state >= 0 && localPorts.contains(localPort)) {
                states.merge(key(localPort, remotePort), state, (a, c) -> a == ESTABLISHED ? a : c);
            }
            i = endOfLine(b, i);
        }
    }

    private static int skipSpaces(byte[] b, int i) {
        while (i < b.length && b[i] == ' ') {
            i++;
        }
        return i;
    }

    private static int skipHex(byte[] b, int i) {
        while (i < b.length && digit(b[i]) >= 0) {
            i++;
        }
        return i;
    }

    private static int endOfLine(byte[] b, int i) {
        while (i < b.length && b[i] != '\n') {
            i++;
        }
        return i;
    }

    private static int hex(byte[] b, int from, int length) {
        if (from + length > b.length) {
            return -1;
        }
        int value = 0;
        for (int k = from; k < from + length; k++) {
            int d = digit(b[k]);
            if (d < 0) {
                return -1;
            }
            value = value * 16 + d;
        }
        return value;
    }

    private static int digit(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }
}
