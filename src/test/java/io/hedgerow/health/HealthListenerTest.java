package io.hedgerow.health;

import io.hedgerow.config.Checks;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;

/** Listener plumbing: composition isolates a throwing listener; event reasons read well. */
class HealthListenerTest {

    @Test
    void andThenDeliversToBothEvenWhenTheFirstThrows() {
        List<HealthEvent> heard = new CopyOnWriteArrayList<>();
        HealthListener throwing = event -> {
            throw new IllegalStateException("listener bug");
        };
        HealthListener both = throwing.andThen(heard::add);
        HealthEvent event = new HealthEvent.Recovered("p/m", Measure.FIRST_TOKEN);
        both.onEvent(event); // does not throw
        HealthListener.NONE.andThen(heard::add).onEvent(new HealthEvent.Demoted("p/m", Measure.WHOLE_ANSWER, "slow"));
        assertThat(heard, contains(event, new HealthEvent.Demoted("p/m", Measure.WHOLE_ANSWER, "slow")));
    }

    @Test
    void durationsReadAsPeopleWriteThem() {
        assertThat(Checks.human(Duration.ofSeconds(30)), is("30s"));
        assertThat(Checks.human(Duration.ofMinutes(4)), is("4m"));
        assertThat(Checks.human(Duration.ofSeconds(90)), is("1m30s"));
        assertThat(Checks.human(Duration.ofHours(24)), is("24h"));
        assertThat(Checks.human(Duration.ofMillis(250)), is("250ms"));
        assertThat(Checks.human(Duration.ofMillis(1_500)), is("1.5s"));
        assertThat(Checks.human(Duration.ZERO), is("0ms"));
    }
}
