package io.corral.master;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.agrona.collections.Long2ObjectHashMap;

/**
 * The leader's outstanding offers (soft state, never replicated): by id, and by agent and by
 * framework, so an agent's or a framework's offers are found without a walk over all of them.
 * Launches, declines, rescinds and timeouts all go through it. Owned by the duty thread.
 */
final class OfferBook
{
    /** An offer made by this leader; its id carries the term so a later leader can refuse it. */
    record Offer(long offerId, long frameworkId, long agentId, int role, long[] resources, long sentAtNs)
    {
    }

    private final long term;
    private final Long2ObjectHashMap<Offer> byId = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<List<Offer>> byAgent = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<List<Offer>> byFramework = new Long2ObjectHashMap<>();
    private long nextSeq;

    OfferBook(final long term)
    {
        this.term = term;
    }

    /** Records a new offer under a fresh id (term in the high 32 bits) and returns it. */
    Offer add(final long frameworkId, final long agentId, final int role, final long[] resources, final long nowNs)
    {
        final Offer offer = new Offer((term << 32) | (++nextSeq & 0xFFFF_FFFFL), frameworkId, agentId, role, resources,
            nowNs);
        byId.put(offer.offerId(), offer);
        byAgent.computeIfAbsent(agentId, a -> new ArrayList<>(2)).add(offer);
        byFramework.computeIfAbsent(frameworkId, f -> new ArrayList<>(4)).add(offer);
        return offer;
    }

    Offer get(final long offerId)
    {
        return byId.get(offerId);
    }

    /** Removes and returns the offer, or null if it is not outstanding. */
    Offer remove(final long offerId)
    {
        final Offer offer = byId.remove(offerId);
        if (offer != null)
        {
            unindex(byAgent, offer.agentId(), offer);
            unindex(byFramework, offer.frameworkId(), offer);
        }
        return offer;
    }

    private static void unindex(final Long2ObjectHashMap<List<Offer>> index, final long key, final Offer offer)
    {
        final List<Offer> list = index.get(key);
        if (list != null && list.remove(offer) && list.isEmpty())
        {
            index.remove(key);
        }
    }

    /** Removes and returns this agent's offers. */
    List<Offer> removeOfAgent(final long agentId)
    {
        return removeAll(byAgent.get(agentId));
    }

    /** Removes and returns this framework's offers. */
    List<Offer> removeOfFramework(final long frameworkId)
    {
        return removeAll(byFramework.get(frameworkId));
    }

    /** Removes and returns the offers {@code which} selects (a walk over all of them: timeouts). */
    List<Offer> removeIf(final Predicate<Offer> which)
    {
        final List<Offer> selected = new ArrayList<>();
        for (final Offer o : byId.values())
        {
            if (which.test(o))
            {
                selected.add(o);
            }
        }
        return removeAll(selected);
    }

    private List<Offer> removeAll(final List<Offer> offers)
    {
        if (offers == null || offers.isEmpty())
        {
            return List.of();
        }
        final List<Offer> removed = new ArrayList<>(offers);
        removed.forEach(o -> remove(o.offerId()));
        return removed;
    }

    int size()
    {
        return byId.size();
    }

    boolean isEmpty()
    {
        return byId.isEmpty();
    }

    Iterable<Offer> all()
    {
        return byId.values();
    }
}
