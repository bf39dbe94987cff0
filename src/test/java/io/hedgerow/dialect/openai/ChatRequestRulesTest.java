package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.json.BoundedJson;
import io.hedgerow.json.JsonLimits;
import io.hedgerow.json.JsonRejected;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every Chat Completions field Hedgerow knows, against OpenAI's documented types and ranges: each bad value is
 * refused with its field's path in {@code param}; documented values pass. Bodies are read as the router reads them
 * ({@link BoundedJson}: exact numbers), so {@code 1e400} is the overflow it is.
 */
class ChatRequestRulesTest {
    private static final BoundedJson READER = new BoundedJson(JsonLimits.DEFAULTS, 1 << 20);
    private static final String BASE = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    private static JsonNode json(String text) {
        try {
            return READER.read(text.getBytes(StandardCharsets.UTF_8));
        } catch (JsonRejected e) {
            throw new AssertionError(text, e);
        }
    }

    /** The base request with these fields added (a JSON object's inside, without braces). */
    private static JsonNode with(String fields) {
        return json(BASE + (fields.isEmpty() ? "" : "," + fields) + "}");
    }

    private static JsonNode withMessages(String messages) {
        return json("{\"model\":\"m\",\"messages\":" + messages + "}");
    }

    private static InvalidRequestException refused(JsonNode body) {
        return assertThrows(InvalidRequestException.class, () -> ChatRequestRules.check(body), body::toString);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            "temperature":1e400                      | temperature
            "temperature":-1                         | temperature
            "temperature":5                          | temperature
            "temperature":"0.5"                      | temperature
            "top_p":2                                | top_p
            "top_p":-0.1                             | top_p
            "n":1.5                                  | n
            "n":2                                    | n
            "n":0                                    | n
            "max_tokens":0                           | max_tokens
            "max_tokens":"x"                         | max_tokens
            "max_tokens":1.5                         | max_tokens
            "max_tokens":99999999999999999999        | max_tokens
            "max_completion_tokens":"x"              | max_completion_tokens
            "max_completion_tokens":-5               | max_completion_tokens
            "stop":["a","b","c","d","e"]             | stop
            "stop":[]                                | stop
            "stop":5                                 | stop
            "stop":["a",5]                           | stop[1]
            "stream":"yes"                           | stream
            "stream_options":"x"                     | stream_options
            "stream_options":{"include_usage":"yes"} | stream_options.include_usage
            "frequency_penalty":3                    | frequency_penalty
            "presence_penalty":-2.5                  | presence_penalty
            "seed":1.5                               | seed
            "seed":1e30                              | seed
            "logit_bias":{"50256":101}               | logit_bias.50256
            "logit_bias":{"abc":1}                   | logit_bias
            "logprobs":1                             | logprobs
            "top_logprobs":21                        | top_logprobs
            "tools":{}                               | tools
            "tools":[{"type":"retrieval","function":{"name":"f"}}] | tools[0].type
            "tools":[{"type":"custom","custom":{"name":"f"}}]      | tools[0].type
            "tools":[{"function":{"name":"f"}}]                    | tools[0].type
            "tools":[{"type":"function","function":{"name":"has space"}}] | tools[0].function.name
            "tools":[{"type":"function","function":{"name":"f","parameters":"x"}}] | tools[0].function.parameters
            "tools":[{"type":"function","function":{"name":"f","strict":"yes"}}] | tools[0].function.strict
            "tool_choice":"maybe"                    | tool_choice
            "tool_choice":{"type":"function"}        | tool_choice.function
            "tool_choice":{"type":"allowed_tools","allowed_tools":{}} | tool_choice.type
            "parallel_tool_calls":"no"               | parallel_tool_calls
            "response_format":{"type":"xml"}         | response_format.type
            "response_format":{"type":"json_schema"} | response_format.json_schema
            "response_format":{"type":"json_schema","json_schema":{"name":"a b"}} | response_format.json_schema.name
            "reasoning_effort":"extreme"             | reasoning_effort
            "verbosity":1                            | verbosity
            "service_tier":"gold"                    | service_tier
            "modalities":["text","video"]            | modalities[1]
            "audio":{"voice":"alloy","format":"ogg"} | audio.format
            "metadata":{"k":1}                       | metadata.k
            "user":5                                 | user
            "safety_identifier":"x"                  | safety_identifier
            "store":"yes"                            | store
            "prediction":{"type":"content"}          | prediction.content
            "functions":[]                           | functions
            "model":""                               | model
            "model":5                                | model
            """)
    void aBadTopLevelFieldIsRefusedByName(String fields, String param) {
        String body = fields.equals("\"safety_identifier\":\"x\"")
                ? "\"safety_identifier\":\"" + "x".repeat(65) + "\"" : fields;

        InvalidRequestException e = refused(with(body));

        assertThat(e.getMessage(), e.param().orElse("(none)"), is(param));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            []                                                                     | messages
            {}                                                                     | messages
            [5]                                                                    | messages[0]
            [{"content":"hi"}]                                                     | messages[0].role
            [{"role":"robot","content":"hi"}]                                      | messages[0].role
            [{"role":"function","name":"f","content":"x"}]                         | messages[0].role
            [{"role":"user"}]                                                      | messages[0].content
            [{"role":"user","content":5}]                                          | messages[0].content
            [{"role":"user","content":[]}]                                         | messages[0].content
            [{"role":"user","content":[{"type":"video"}]}]                         | messages[0].content[0].type
            [{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]  | messages[0].content[0].type
            [{"role":"user","content":[{"type":"text"}]}]                          | messages[0].content[0].text
            [{"role":"user","content":[{"type":"image_url","image_url":{"url":"u","detail":"max"}}]}] | messages[0].content[0].image_url.detail
            [{"role":"system","content":[{"type":"image_url","image_url":{"url":"u"}}]}] | messages[0].content[0].type
            [{"role":"user","content":"hi","name":""}]                             | messages[0].name
            [{"role":"assistant"}]                                                 | messages[0].content
            [{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":5}}]}] | messages[0].tool_calls[0].function.arguments
            [{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":{"a":1}}}]}] | messages[0].tool_calls[0].function.arguments
            [{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f"}}]}] | messages[0].tool_calls[0].function.arguments
            [{"role":"assistant","tool_calls":[{"id":"","type":"function","function":{"name":"f","arguments":"{}"}}]}] | messages[0].tool_calls[0].id
            [{"role":"assistant","tool_calls":[{"id":"c1","type":"custom","custom":{"name":"f","input":""}}]}] | messages[0].tool_calls[0].type
            [{"role":"assistant","tool_calls":[{"id":"c1","type":"other","function":{"name":"f","arguments":"{}"}}]}] | messages[0].tool_calls[0].type
            [{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"u"}}]}] | messages[0].content[0].type
            [{"role":"tool","content":"r"}]                                        | messages[0].tool_call_id
            [{"role":"tool","content":"r","tool_call_id":""}]                      | messages[0].tool_call_id
            [{"role":"tool","content":"r","tool_call_id":5}]                       | messages[0].tool_call_id
            [{"role":"user","content":"hi","tool_call_id":"c1"}]                   | messages[0].tool_call_id
            [{"role":"user","content":"hi","tool_calls":[]}]                       | messages[0].tool_calls
            """)
    void aBadMessageIsRefusedByPath(String messages, String param) {
        InvalidRequestException e = refused(withMessages(messages));

        assertThat(e.getMessage(), e.param().orElse("(none)"), is(param));
    }

    @Test
    void everyDocumentedFieldWithADocumentedValuePasses() throws Exception {
        JsonNode full = json("""
                {"model":"gpt-4.1","messages":[
                  {"role":"developer","content":[{"type":"text","text":"be brief"}],"name":"dev"},
                  {"role":"system","content":"sys"},
                  {"role":"user","content":[{"type":"text","text":"look"},
                                            {"type":"image_url","image_url":{"url":"data:image/png;base64,AA==","detail":"low"}}]},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
                                              "function":{"name":"get_weather","arguments":"{\\"city\\":\\"Oslo\\"}"}}]},
                  {"role":"tool","tool_call_id":"c1","content":[{"type":"text","text":"sunny"}]},
                  {"role":"assistant","content":[{"type":"text","text":"ok"},{"type":"refusal","refusal":"no"}],"refusal":null},
                  {"role":"assistant","tool_calls":[{"id":"c2","function":{"name":"f","arguments":""}}]}],
                 "temperature":0,"top_p":1,"n":1,"max_tokens":100,"max_completion_tokens":2.0,"stop":["a","b","c","d"],
                 "stream":true,"stream_options":{"include_usage":true,"include_obfuscation":false},
                 "frequency_penalty":-2,"presence_penalty":2.0,"seed":-9223372036854775808,
                 "logit_bias":{"50256":-100},"logprobs":true,"top_logprobs":20,
                 "tools":[{"type":"function","function":{"name":"get_weather","description":"d",
                           "parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}}],
                 "tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false,
                 "response_format":{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object"},"strict":true}},
                 "reasoning_effort":"low","verbosity":"high","service_tier":"flex","modalities":["text","audio"],
                 "audio":{"voice":{"id":"v1"},"format":"mp3"},"metadata":{"k":"v"},"user":"u","safety_identifier":"s",
                 "prompt_cache_key":"p","prompt_cache_retention":"24h","store":false,
                 "prediction":{"type":"content","content":"x"},
                 "web_search_options":{"search_context_size":"low","user_location":{"type":"approximate","approximate":{"city":"Oslo"}}},
                 "top_k":40,"provider":{"order":["a"]},"cache_control":null}
                """);

        ChatRequestRules.check(full);
        ChatRequestRules.check(with("\"stop\":\"END\",\"tool_choice\":\"required\",\"temperature\":null"));
    }

    @Test
    void extensionsNeedPlainNames() {
        InvalidRequestException e = refused(with("\"odd name\":1"));
        assertThat(e.getMessage(), containsString("not a plain identifier"));
        assertThat(refused(withMessages("[{\"role\":\"user\",\"content\":\"hi\",\"\u00e9\":1}]")).param().orElse(""),
                   is("messages[0]"));
    }

    @Test
    void aRequestThatPassesIsParsedWithoutLosingAnything() throws Exception {
        ObjectNode body = (ObjectNode) with("\"temperature\":1.25,\"seed\":12345678901234,\"top_k\":40,"
                                                    + "\"x_extension\":1e400");

        var request = OpenAiRequestCodec.parse(body);

        assertThat(request.sampling().temperature().orElseThrow(), is(1.25));
        assertThat(OpenAiRequestCodec.write(request, "up", false).get("x_extension").decimalValue().toString(),
                   is("1E+400"));
        assertThat(OpenAiRequestCodec.write(request, "up", false).get("seed").asLong(), is(12345678901234L));
    }
}
