package io.hedgerow.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;
import io.hedgerow.tune.RequestSample;
import io.hedgerow.tune.SampleCodec;
import io.hedgerow.tune.TuneCommand;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * The recorded requests behind {@code hedgerow tune}: what {@code GET /status/samples} exports after real traffic,
 * {@code GET /status/tune}'s table, and the command against the running router and against a saved file.
 */
class TuneEndToEndTest {
    private static final String STREAM = "{\"model\":\"chat\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}";
    private static final String WHOLE = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}";

    private static FakeOpenAi first;
    private static FakeOpenAi second;
    private static ObservedRouter router;

    /** One router for both tests: three streamed requests of growing prompts, then two whole ones. */
    @BeforeAll
    static void serve() {
        first = FakeOpenAi.start();
        second = FakeOpenAi.start();
        router = ObservedRouter.start(TestConfig.builder()
                                              .openAi("p1", first.baseUrl())
                                              .openAi("p2", second.baseUrl())
                                              .route("chat", "p1/m1", "p2/m2")
                                              .build());
        for (int i = 0; i < 3; i++) {
            assertThat(router.raw.chatStream(STREAM.formatted("x".repeat(400 * (i + 1)))).status(), is(200));
        }
        for (int i = 0; i < 2; i++) {
            assertThat(router.raw.chat(WHOLE.formatted("hello " + i)).statusCode(), is(200));
        }
    }

    @AfterAll
    static void stop() {
        router.close();
        first.close();
        second.close();
    }

    @Test
    void everyServedRequestIsExportedWithItsSizeAndAttempts() throws Exception {
        HttpResponse<String> export = router.raw.get("/status/samples");
        assertThat(export.statusCode(), is(200));
        assertThat(export.headers().firstValue("content-type").orElse(""), is("application/x-ndjson"));
        SampleCodec.Samples samples = SampleCodec.read(new StringReader(export.body()));
        assertThat(samples.routes().get("chat").chain(), is(List.of("p1/m1", "p2/m2")));
        assertThat(samples.requests().size(), is(5));
        List<RequestSample> streamed = samples.requests().stream().filter(RequestSample::stream).toList();
        assertThat(streamed.size(), is(3));
        for (RequestSample s : samples.requests()) {
            assertThat(s.route(), is("chat"));
            RequestSample.Attempt a = s.attempts().getFirst();
            assertThat(a.candidate(), is("p1/m1"));
            assertThat(a.role(), is("primary"));
            assertThat(a.outcome(), is(RequestSample.Outcome.OK));
            assertThat(a.millis() >= 0, is(true));
            assertThat(s.estimatedTokens(), greaterThan(0L));
        }
        // Longer prompts, larger estimates; the fake's reported usage (11 prompt tokens) replaces the estimate.
        assertThat(streamed.get(2).estimatedTokens(), greaterThan(streamed.get(0).estimatedTokens()));
        assertThat(streamed.get(2).promptTokens(), is(11L));
        // No content and no key ever leaves in a sample.
        assertThat(export.body(), not(containsString("xxxx")));
        assertThat(export.body(), not(containsString("hello")));
    }

    @Test
    void theTuneTableIsServedAndTheCommandReadsTheRouterOrAFile(@TempDir Path dir) throws Exception {
        HttpResponse<String> table = router.raw.get("/status/tune");
        assertThat(table.statusCode(), is(200));
        assertThat(table.body(), containsString("route chat - first token, 3 requests"));
        // Test routes do not hedge: "no hedging" is the current policy.
        assertThat(table.body(), containsString("* no hedging"));
        assertThat(table.body(), containsString("request-aware p92"));
        assertThat(table.body(), containsString("routes:\n      chat:\n        hedge: "));
        JsonNode json = RawClient.json(router.raw.get("/status/tune?format=json&max-load=5%25"));
        assertThat(json.path("max_extra_load").asDouble(), is(0.05));
        assertThat(json.path("tables").get(0).path("rows").size(), greaterThan(3));
        assertThat(router.raw.get("/status/tune?max-load=lots").statusCode(), is(400));
        assertThat(router.status().path("tune").asText(), is("/status/tune"));

        Path saved = dir.resolve("samples.jsonl");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = TuneCommand.run(List.of("--url", "http://127.0.0.1:" + router.port(), "--save", saved.toString()),
                                   new PrintStream(out, true, StandardCharsets.UTF_8),
                                   new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(err.toString(StandardCharsets.UTF_8), code, is(0));
        String fromRouter = out.toString(StandardCharsets.UTF_8);
        assertThat(fromRouter, containsString("route chat - first token, 3 requests"));
        assertThat(Files.readString(saved).lines().count(), is(6L));

        out.reset();
        code = TuneCommand.run(List.of("--samples", saved.toString(), "--route", "chat"),
                               new PrintStream(out, true, StandardCharsets.UTF_8),
                               new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code, is(0));
        assertThat(out.toString(StandardCharsets.UTF_8), is(fromRouter));

        code = TuneCommand.run(List.of("--samples", saved.toString(), "--route", "nope"),
                               new PrintStream(out, true, StandardCharsets.UTF_8),
                               new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code, is(1));
        assertThat(TuneCommand.run(List.of("--max-load", "5%"), new PrintStream(out), new PrintStream(err)), is(2));
    }
}
