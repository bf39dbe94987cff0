package io.hedgerow.api;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

class TcpTableTest {
    private static final String TCP = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 101 1
               1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 102 1
               2: 0100007F:1F90 0100007F:C351 08 00000000:00000000 00:00000000 00000000  1000        0 103 1
               3: 0100007F:C352 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 104 1
               4: 0100007F:1F91 0100007F:C353 01 00000000:00000000 00:00000000 00000000  1000        0 105 1
            """;
    private static final String TCP6 = """
              sl  local_address                         remote_address                        st tx_queue
               0: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:C354 01 00000000:00000000
               1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000200007F:C351 01 00000000:00000000
            """;

    @Test
    void keepsOnlyConnectionsOnTheAskedPortsWithTheirState() {
        Map<Long, Integer> states = new HashMap<>();
        TcpTable.parse(TCP.getBytes(StandardCharsets.US_ASCII), Set.of(0x1F90), states);
        TcpTable.parse(TCP6.getBytes(StandardCharsets.US_ASCII), Set.of(0x1F90), states);

        assertThat(states.get(TcpTable.key(0x1F90, 0xC350)), is(TcpTable.ESTABLISHED));
        assertThat(states.get(TcpTable.key(0x1F90, 0xC354)), is(TcpTable.ESTABLISHED));
        // Port 0xC351 appears twice (two client addresses): an established one wins, never a false departure.
        assertThat(states.get(TcpTable.key(0x1F90, 0xC351)), is(TcpTable.ESTABLISHED));
        assertThat(states.containsKey(TcpTable.key(0xC352, 0x1F90)), is(false));
        assertThat(states.containsKey(TcpTable.key(0x1F91, 0xC353)), is(false));
        assertThat(states.get(TcpTable.key(0x1F90, 0)), is(0x0A));
    }

    @Test
    void closeWaitIsKept() {
        Map<Long, Integer> states = new HashMap<>();
        TcpTable.parse(TCP.getBytes(StandardCharsets.US_ASCII), Set.of(0x1F90), states);
        assertThat(states.get(TcpTable.key(0x1F90, 0xC351)), is(TcpTable.CLOSE_WAIT));
    }

    @Test
    void garbageIsSkipped() {
        Map<Long, Integer> states = new HashMap<>();
        TcpTable.parse("header\nnonsense line\n  7: zz:zz\n\n".getBytes(StandardCharsets.US_ASCII), Set.of(1), states);
        assertThat(states.isEmpty(), is(true));
    }
}
