package io.hedgerow.state;

import io.hedgerow.health.BreakerState;
import io.hedgerow.health.Measure;
import io.hedgerow.model.FailureKind;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

/** The snapshot file: written whole and atomically; read leniently, never failing a start. */
class SnapshotFileTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final String FP = "ab".repeat(32);

    @TempDir
    Path dir;

    private final StateRecord key = new StateRecord.Key(FP, "main", FailureKind.AUTH, 2, true, NOW + 3_600_000, true,
                                                        NOW - 10, NOW - 10, NOW + 90_000_000, "r1");
    private final StateRecord breaker = new StateRecord.Breaker("p/m", BreakerState.Kind.OPEN, NOW + 30_000, 1,
                                                                "probe failed", NOW - 5, NOW + 300_000, "r1");
    private final StateRecord expired = new StateRecord.Demotion("p/m", Measure.WHOLE_ANSWER, true, "slow",
                                                                  NOW - 2_000_000, NOW - 1, "r1");

    @Test
    void whatIsWrittenIsReadBackButExpiredRecords() throws Exception {
        SnapshotFile file = new SnapshotFile(dir.resolve("s.json"));
        file.write(List.of(key, breaker, expired), "r1", NOW);
        assertThat(file.read(NOW + 1000), contains(key, breaker));
        assertThat("nothing left beside it", Files.list(dir).count(), is(1L));
        assertThat("past the breaker record's expiry it is gone", file.read(NOW + 400_000), contains(key));
    }

    @Test
    void aMissingCorruptForeignOrStaleFileIsNoState() throws Exception {
        Path path = dir.resolve("s.json");
        SnapshotFile file = new SnapshotFile(path);
        assertThat(file.read(NOW), is(empty()));
        Files.writeString(path, "{\"version\": 1, \"saved\": 1, \"records\": [");
        assertThat(file.read(NOW), is(empty()));
        Files.writeString(path, "{\"version\": 99, \"saved\": " + NOW + ", \"records\": []}");
        assertThat(file.read(NOW), is(empty()));
        file.write(List.of(key), "r1", NOW);
        assertThat(file.read(NOW + SnapshotFile.STALE.toMillis() + Duration.ofMinutes(1).toMillis()), is(empty()));
    }

    @Test
    void aRecordThatDoesNotReadIsSkippedTheOthersKept() throws Exception {
        Path path = dir.resolve("s.json");
        new SnapshotFile(path).write(List.of(key, breaker), "r1", NOW);
        String text = Files.readString(path).replace("\"OPEN\"", "\"SIDEWAYS\"");
        Files.writeString(path, text);
        assertThat(new SnapshotFile(path).read(NOW), contains(key));
    }

    @Test
    void recordsSurviveTheirJsonForm() {
        for (StateRecord r : List.of(key, breaker, expired)) {
            assertThat(RecordCodec.read(RecordCodec.write(r)).orElseThrow(), is(r));
        }
        assertThat("a fingerprint must be a SHA-256", RecordCodec.read(RecordCodec.write(key).replace(FP, "abc"))
                .isPresent(), is(false));
        assertThat("half-open is not shared", RecordCodec.read(RecordCodec.write(breaker).replace("OPEN", "HALF_OPEN"))
                .isPresent(), is(false));
    }
}
