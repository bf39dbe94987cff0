package io.hedgerow.dialect.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.hedgerow.dialect.InvalidRequestException;
import io.hedgerow.json.Json;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every documented field of the Responses and embeddings requests, given a value of the wrong type or out of range,
 * is refused with its path as OpenAI's {@code param}, so a client's error names the field it got wrong.
 */
class FieldValidationTest {

    @ParameterizedTest(name = "{1}: {0}")
    @CsvSource(delimiter = '|', textBlock = """
            "model":5,"input":"x"                                                     | model
            "model":"m"                                                               | input
            "model":"m","input":5                                                     | input
            "model":"m","input":[{"type":"message","role":"robot","content":"x"}]     | input[0].role
            "instructions":5                                                          | instructions
            "tools":{}                                                                | tools
            "tools":[{"type":"function"}]                                             | tools[0].name
            "tools":[{"type":"function","name":"bad name!"}]                          | tools[0].name
            "tools":[{"type":"function","name":"f","description":5}]                  | tools[0].description
            "tools":[{"type":"function","name":"f","parameters":"x"}]                 | tools[0].parameters
            "tools":[{"type":"function","name":"f","strict":"yes"}]                   | tools[0].strict
            "tool_choice":"sometimes"                                                 | tool_choice
            "tool_choice":{"type":"function"}                                         | tool_choice.name
            "parallel_tool_calls":"yes"                                               | parallel_tool_calls
            "store":1                                                                 | store
            "stream":"true"                                                           | stream
            "text":[]                                                                 | text
            "text":{"format":{"type":"yaml"}}                                         | text.format.type
            "text":{"format":{"type":"json_schema","name":"w"}}                       | text.format.schema
            "text":{"format":{"type":"json_schema","name":"w","schema":{},"strict":1}} | text.format.strict
            "text":{"verbosity":"loud"}                                               | text.verbosity
            "reasoning":{"effort":"max"}                                              | reasoning.effort
            "reasoning":{"summary":"long"}                                            | reasoning.summary
            "max_output_tokens":0                                                     | max_output_tokens
            "max_output_tokens":1.5                                                   | max_output_tokens
            "temperature":3                                                           | temperature
            "top_p":-0.1                                                              | top_p
            "top_logprobs":21                                                         | top_logprobs
            "metadata":{"k":5}                                                        | metadata.k
            "metadata":[]                                                             | metadata
            "include":[5]                                                             | include[0]
            "user":5                                                                  | user
            "safety_identifier":5                                                     | safety_identifier
            "prompt_cache_key":5                                                      | prompt_cache_key
            "previous_response_id":""                                                 | previous_response_id
            "service_tier":"gold"                                                     | service_tier
            "truncation":"sometimes"                                                  | truncation
            "background":true                                                         | background
            "conversation":"conv_1"                                                   | conversation
            "max_tool_calls":0                                                        | max_tool_calls
            "prompt":"p"                                                              | prompt
            "stream_options":5                                                        | stream_options
            """)
    void aResponsesFieldOfTheWrongTypeOrRangeIsNamed(String fields, String param) throws Exception {
        String body = fields.startsWith("\"model\"") ? "{" + fields + "}" : "{\"model\":\"m\",\"input\":\"x\"," + fields + "}";
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                                                  () -> ResponsesRequestReader.parse(json(body)), body);
        assertEquals(Optional.of(param), e.param(), body + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(param), e.getMessage());
    }

    @ParameterizedTest(name = "{1}: {0}")
    @CsvSource(delimiter = '|', textBlock = """
            "input":"x"                                       | model
            "model":""                                        | model
            "model":"m"                                       | input
            "model":"m","input":""                            | input
            "model":"m","input":[]                            | input
            "model":"m","input":5                             | input
            "model":"m","input":["a",""]                      | input[1]
            "model":"m","input":["a",{}]                      | input[1]
            "model":"m","input":["a",[1,2]]                   | input
            "model":"m","input":[[1,-2]]                      | input[0][1]
            "model":"m","input":"x","encoding_format":"hex"   | encoding_format
            "model":"m","input":"x","dimensions":0            | dimensions
            "model":"m","input":"x","dimensions":"64"         | dimensions
            "model":"m","input":"x","user":5                  | user
            "model":"m","input":"x","truncate":true           | truncate
            """)
    void anEmbeddingsFieldOfTheWrongTypeOrRangeIsNamed(String fields, String param) {
        String body = "{" + fields + "}";
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                                                  () -> EmbeddingsCodec.readRequest(json(body)), body);
        assertEquals(Optional.of(param), e.param(), body + ": " + e.getMessage());
    }

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }
}
