package io.hedgerow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time a process has used, user and system, from {@code /proc/PID/stat} (all its threads, in clock ticks of
 * 10 ms, so read it around phases of seconds). Dividing the difference over a phase by the requests served gives
 * each process's CPU cost per request: the figure that bounds throughput when client, upstream and router share
 * the same cores.
 *
 * @param userNanos   time in user mode
 * @param systemNanos time in the kernel (for these processes: mostly loopback TCP)
 */
record CpuTime(long userNanos, long systemNanos) {
    private static final long TICK_NANOS = 10_000_000L; // USER_HZ is 100 on Linux

    static final CpuTime UNKNOWN = new CpuTime(-1, -1);

    static CpuTime of(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // Fields after the command name, which is in parentheses and may contain spaces.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new CpuTime(Long.parseLong(f[11]) * TICK_NANOS, Long.parseLong(f[12]) * TICK_NANOS);
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }

    static CpuTime self() {
        return of(ProcessHandle.current().pid());
    }

    CpuTime minus(CpuTime earlier) {
        if (this == UNKNOWN || earlier == UNKNOWN) {
            return UNKNOWN;
        }
        return new CpuTime(userNanos - earlier.userNanos, systemNanos - earlier.systemNanos);
    }

    long totalNanos() {
        return userNanos + systemNanos;
    }
}
