package io.hedgerow.api;

import io.hedgerow.HedgerowServer;
import io.hedgerow.config.ServerLimits;
import io.hedgerow.fakes.FakeOpenAi;
import io.hedgerow.fakes.FakeOpenAi.Reply;
import io.hedgerow.testing.RawClient;
import io.hedgerow.testing.TestConfig;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

/**
 * The error table of docs/api.md against the router: each bad request below is sent to a running router, and the
 * status and {@code code} it gets must be the ones the table gives for it (seen: the table said {@code invalid_json}
 * for an empty body and nothing for an unknown path, while the router answered otherwise). And every code the table
 * lists is one the router's sources can send.
 */
class ErrorTableTest {
    private static final Path DOC = Path.of("docs/api.md");
    /** {@code | what | OpenAI status, codes | Anthropic status, type |}. */
    private static final Pattern ROW = Pattern.compile("^\\| (.+?) \\| (.*?) \\| (.*?) \\|$");
    private static final Pattern STATUS = Pattern.compile("\\b(\\d{3})\\b");
    private static final Pattern CODE = Pattern.compile("`([a-z_]+)`");
    private static FakeOpenAi upstream;
    private static HedgerowServer router;
    private static RawClient raw;

    @BeforeAll
    static void start() {
        upstream = FakeOpenAi.start();
        upstream.otherwise(Reply.text("hi"));
        router = HedgerowServer.start(TestConfig.builder()
                                              .openAi("p", upstream.baseUrl())
                                              .route("chat", "p/m")
                                              .maxBodyBytes(1024)
                                              .limits(ServerLimits.DEFAULTS)
                                              .build());
        raw = new RawClient(router.port());
    }

    @AfterAll
    static void stop() {
        raw.close();
        router.close();
        upstream.close();
    }

    /** What the table says, by row: its text, and for each dialect a status and the codes (or types). */
    private record Row(String what, int status, Set<String> codes, int anthropicStatus, Set<String> anthropicTypes) {
    }

    private static List<Row> table() throws IOException {
        List<Row> rows = new ArrayList<>();
        boolean inErrors = false;
        for (String line : Files.readAllLines(DOC)) {
            if (line.startsWith("## ")) {
                inErrors = line.equals("## Errors");
            }
            Matcher m = ROW.matcher(line);
            if (inErrors && m.matches() && STATUS.matcher(m.group(2) + m.group(3)).find()) {
                rows.add(new Row(m.group(1), status(m.group(2)), codes(m.group(2)), status(m.group(3)),
                                 codes(m.group(3))));
            }
        }
        return rows;
    }

    private static int status(String cell) {
        Matcher m = STATUS.matcher(cell);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static Set<String> codes(String cell) {
        Set<String> codes = new TreeSet<>();
        Matcher c = CODE.matcher(cell);
        while (c.find()) {
            codes.add(c.group(1));
        }
        return codes;
    }

    @Test
    void eachBadRequestGetsTheStatusAndCodeTheTableGivesIt() throws IOException {
        String chat = "/v1/chat/completions";
        Map<String, HttpResponse<String>> seen = new LinkedHashMap<>();
        // The table's rows, keyed by a phrase of their "what" column.
        seen.put("body is not JSON", raw.post(chat, "application/json", HttpRequest.BodyPublishers.ofString("{oops")));
        seen.put("empty", raw.post(chat, "application/json", HttpRequest.BodyPublishers.noBody()));
        seen.put("mistyped", raw.chat("{\"model\":\"chat\",\"messages\":[{\"role\":7}]}"));
        seen.put("is neither a route", raw.chat("{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
        seen.put("body over the JSON limits", raw.chat("{\"model\":\"chat\",\"messages\":" + "[".repeat(200)
                                                               + "]".repeat(200) + "}"));
        seen.put("body over `server.max-body-size`", raw.chat("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\""
                                               + "x".repeat(4096) + "\"}]}"));
        seen.put("`Content-Type` other than", raw.post(chat, "text/plain", HttpRequest.BodyPublishers.ofString("{}")));
        seen.put("`x-hedgerow-timeout` is not", raw.chat("{\"model\":\"chat\",\"messages\":[{\"role\":\"user\","
                                                                 + "\"content\":\"x\"}]}",
                                                         Map.of("x-hedgerow-timeout", "soon")));
        seen.put("unknown path", raw.post("/v1/nothing", "application/json", HttpRequest.BodyPublishers.ofString("{}")));

        List<Row> table = table();
        assertThat(table.size(), greaterThan(10));
        List<String> wrong = new ArrayList<>();
        seen.forEach((phrase, response) -> {
            List<Row> rows = table.stream().filter(r -> r.what().contains(phrase)).toList();
            if (rows.size() != 1) {
                wrong.add("'" + phrase + "': " + rows.size() + " rows of the table match; the router answers "
                                  + response.statusCode() + " " + response.body());
                return;
            }
            JsonNode error = RawClient.json(response).path("error");
            String code = error.path("code").asText();
            if (response.statusCode() != rows.getFirst().status() || !rows.getFirst().codes().contains(code)) {
                wrong.add("'" + phrase + "': the router answers " + response.statusCode() + " " + code
                                  + ", the table says " + rows.getFirst().status() + " " + rows.getFirst().codes());
            }
        });
        // The same bad requests in Anthropic's dialect, under /v1/messages.
        String messages = "/v1/messages";
        Map<String, HttpResponse<String>> anthropic = new LinkedHashMap<>();
        anthropic.put("body is not JSON", raw.post(messages, "application/json",
                                                    HttpRequest.BodyPublishers.ofString("{oops")));
        anthropic.put("is neither a route", raw.post(messages, "application/json", HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"nope\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")));
        anthropic.put("body over the JSON limits", raw.post(messages, "application/json",
                HttpRequest.BodyPublishers.ofString("{\"model\":\"chat\",\"messages\":" + "[".repeat(200)
                                                            + "]".repeat(200) + "}")));
        anthropic.put("`Content-Type` other than", raw.post(messages, "text/plain",
                                                             HttpRequest.BodyPublishers.ofString("{}")));
        String hi = "{\"model\":\"chat\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        anthropic.put("empty", raw.post(messages, "application/json", HttpRequest.BodyPublishers.noBody()));
        anthropic.put("mistyped", raw.post(messages, "application/json", HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"chat\",\"max_tokens\":5,\"messages\":[{\"role\":7,\"content\":\"x\"}]}")));
        anthropic.put("body over `server.max-body-size`", raw.post(messages, "application/json", HttpRequest.BodyPublishers.ofString(
                hi.replace("\"x\"", "\"" + "x".repeat(4096) + "\""))));
        anthropic.put("unknown path", raw.post("/v1/messages/nothing", "application/json",
                                               HttpRequest.BodyPublishers.ofString("{}")));
        anthropic.put("`x-hedgerow-timeout` is not", raw.post(messages, hi, Map.of("x-hedgerow-timeout", "soon")));
        anthropic.put("`anthropic-version` or `anthropic-beta` malformed",
                      raw.post(messages, hi, Map.of("anthropic-version", "yesterday")));
        anthropic.forEach((phrase, response) -> {
            List<Row> rows = table.stream().filter(r -> r.what().contains(phrase)).toList();
            String type = RawClient.json(response).path("error").path("type").asText();
            if (rows.size() != 1 || response.statusCode() != rows.getFirst().anthropicStatus()
                    || !rows.getFirst().anthropicTypes().contains(type)) {
                wrong.add("Anthropic '" + phrase + "': the router answers " + response.statusCode() + " " + type
                                  + (rows.size() == 1 ? ", the table says " + rows.getFirst().anthropicStatus() + " "
                        + rows.getFirst().anthropicTypes() : ", " + rows.size() + " rows match"));
            }
        });
        assertThat("docs/api.md's error table against the router", wrong, is(empty()));
    }

    @Test
    void everyCodeTheTableListsIsOneTheRouterSends() throws IOException {
        StringBuilder sources = new StringBuilder();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                sources.append(Files.readString(f));
            }
        }
        List<String> unknown = new ArrayList<>();
        for (Row row : table()) {
            Set<String> all = new TreeSet<>(row.codes());
            all.addAll(row.anthropicTypes());
            for (String code : all) {
                if (!sources.toString().contains("\"" + code + "\"")) {
                    unknown.add(code);
                }
            }
        }
        assertThat("codes docs/api.md lists that no source sends", unknown, is(empty()));
    }
}
