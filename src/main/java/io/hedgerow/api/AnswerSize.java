package io.hedgerow.api;

import io.hedgerow.model.ChatResponse;
import io.hedgerow.model.ContentPart;
import io.hedgerow.model.StreamEvent;
import io.hedgerow.model.ToolCall;

/**
 * Characters of an answer the client was sent (text, reasoning, refusal, tool names and arguments), for an estimate
 * of the output tokens when the provider reports no usage.
 */
final class AnswerSize {
    private AnswerSize() {
    }

    static long chars(ChatResponse response) {
        long chars = response.reasoning().map(String::length).orElse(0)
                + response.refusal().map(String::length).orElse(0);
        for (ContentPart part : response.message().content()) {
            if (part instanceof ContentPart.Text text) {
                chars += text.text().length();
            }
        }
        for (ToolCall call : response.message().toolCalls()) {
            chars += call.name().length() + call.arguments().length();
        }
        return chars;
    }

    static long chars(StreamEvent event) {
        return switch (event) {
            case StreamEvent.TextDelta text -> text.text().length();
            case StreamEvent.ReasoningDelta reasoning -> reasoning.text().length();
            case StreamEvent.RefusalDelta refusal -> refusal.text().length();
            case StreamEvent.ToolCallDelta call -> call.name().map(String::length).orElse(0)
                    + call.argumentsFragment().length();
            default -> 0;
        };
    }
}
