package io.corral.client;

import java.util.Map;

/**
 * Resources of one agent offered to this framework in one of its roles, with the agent's
 * attributes; accept or decline it by id.
 */
public record Offer(long offerId, long agentId, String hostname, Resources resources, Map<String, String> attributes,
    String role)
{
}
