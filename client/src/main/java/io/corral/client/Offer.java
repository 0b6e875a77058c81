package io.corral.client;

/** Resources of one agent offered to this framework; accept or decline it by id. */
public record Offer(long offerId, long agentId, String hostname, Resources resources)
{
}
