package io.hedgerow.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One chat message in canonical form.
 *
 * @param role       who wrote it
 * @param content    its content parts, in order; empty for an assistant message that only calls tools
 * @param toolCalls  the assistant's tool calls; empty for other roles
 * @param toolCallId for a {@link Role#TOOL} message, the call it answers
 * @param name       OpenAI's optional participant name
 */
public record Message(Role role,
                      List<ContentPart> content,
                      List<ToolCall> toolCalls,
                      Optional<String> toolCallId,
                      Optional<String> name) {

    public Message {
        Objects.requireNonNull(role, "role");
        content = List.copyOf(content);
        toolCalls = List.copyOf(toolCalls);
        Objects.requireNonNull(toolCallId, "toolCallId");
        Objects.requireNonNull(name, "name");
    }

    /** A message with plain text content. */
    public static Message text(Role role, String text) {
        return new Message(role, List.of(new ContentPart.Text(text)), List.of(), Optional.empty(), Optional.empty());
    }

    /** The concatenated text parts (images are skipped). */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (ContentPart part : content) {
            if (part instanceof ContentPart.Text t) {
                sb.append(t.text());
            }
        }
        return sb.toString();
    }

    /** Whether every content part is text (so the content can be sent as a plain string). */
    public boolean textOnly() {
        return content.stream().allMatch(ContentPart.Text.class::isInstance);
    }

    /** This message with another role; every other field, tool calls included, is kept. */
    public Message withRole(Role newRole) {
        return new Message(newRole, content, toolCalls, toolCallId, name);
    }
}
