package io.hedgerow.route;

import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.Message;
import io.hedgerow.model.ToolCall;
import io.hedgerow.model.ToolDefinition;

/**
 * A cheap, deliberately generous estimate of a request's size in tokens, for skipping candidates whose declared
 * context window cannot hold it before trying them: one token per 4 characters of text, tool arguments and tool
 * schemas, 4 tokens of framing per message, 1000 per image, plus the requested output limit.
 */
public final class PromptSize {
    private PromptSize() {
    }

    public static long estimateTokens(ChatRequest request) {
        long chars = 0;
        long tokens = 0;
        for (Message message : request.messages()) {
            tokens += 4;
            for (ContentPart part : message.content()) {
                if (part instanceof ContentPart.Text text) {
                    chars += text.text().length();
                } else {
                    tokens += 1000;
                }
            }
            for (ToolCall call : message.toolCalls()) {
                chars += call.name().length() + call.arguments().length();
            }
        }
        for (ToolDefinition tool : request.tools()) {
            chars += tool.name().length() + tool.description().length() + tool.parameters().toString().length();
        }
        return tokens + chars / 4 + request.sampling().maxTokens().orElse(0);
    }
}
