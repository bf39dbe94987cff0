package io.hedgerow.provider;

import io.hedgerow.config.ProviderConfig;
import io.hedgerow.model.ChatRequest;
import io.hedgerow.model.Message;
import io.hedgerow.model.Role;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-provider rewrites of a request, applied narrowly: only the role of system, developer and user
 * messages can change. Assistant messages keep their tool calls and tool messages are never touched,
 * whatever the map says (config validation rejects such maps too).
 */
public final class MessageTransforms {
    private static final Set<Role> MAPPABLE = ProviderConfig.MAPPABLE_ROLES;

    private MessageTransforms() {
    }

    /** The request with roles rewritten by the map; the same instance when nothing changes. */
    public static ChatRequest applyRoleMap(ChatRequest request, Map<Role, Role> roleMap) {
        if (roleMap.isEmpty()) {
            return request;
        }
        List<Message> out = new ArrayList<>(request.messages().size());
        boolean changed = false;
        for (Message message : request.messages()) {
            Role target = MAPPABLE.contains(message.role()) ? roleMap.get(message.role()) : null;
            if (target != null && MAPPABLE.contains(target) && target != message.role()) {
                out.add(message.withRole(target));
                changed = true;
            } else {
                out.add(message);
            }
        }
        return changed ? request.withMessages(out) : request;
    }
}
