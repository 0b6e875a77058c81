package io.corral.master;

import java.util.ArrayList;
import java.util.List;

import io.corral.allocator.Allocator;
import io.corral.allocator.OfferBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's offers: allocation passes paced to the launch budget ({@link OfferPacing}), the
 * offers they make, declines, suppress and revive, and rescinding (the offer timeout, an agent
 * gone). Part of the leader's duties ({@link LeaderDuties} keeps the allocator, the allocations and
 * the offer book, which applied records change too); owned by the duty thread.
 */
final class Offering
{
    private static final Logger LOG = LoggerFactory.getLogger(Offering.class);
    private static final long OFFER_EXPIRY_CHECK_NS = 250_000_000L;

    private final MasterState state;
    private final Allocator allocator;
    private final Allocations allocations;
    private final OfferBook offers;
    private final OfferPacing pacing;
    private final FrameworkPublisher toFrameworks;
    private final MasterMetrics metrics;
    private final ResourceVectors vectors;
    private final long allocationIntervalNs;
    private final long offerTimeoutNs;
    private long lastFullPassNs;
    private long nextOfferExpiryCheckNs;

    Offering(final MasterConfig config, final MasterState state, final Allocator allocator,
        final Allocations allocations, final OfferBook offers, final OfferPacing pacing, final Outputs outputs)
    {
        this.state = state;
        this.allocator = allocator;
        this.allocations = allocations;
        this.offers = offers;
        this.pacing = pacing;
        this.toFrameworks = outputs.toFrameworks();
        this.metrics = outputs.metrics();
        this.vectors = state.vectors();
        this.allocationIntervalNs = config.allocationIntervalMs() * 1_000_000L;
        this.offerTimeoutNs = config.offerTimeoutMs() * 1_000_000L;
    }

    /**
     * An allocation pass if one is due (a full one every allocation interval, else an incremental
     * one when something changed) and not {@code held}: it makes only the offers the launches in
     * hand leave room for; the agents it did not reach stay due. Returns the offers made.
     */
    int passIfDue(final boolean held, final int launchesInHand, final long nowNs)
    {
        final boolean fullDue = nowNs - lastFullPassNs >= allocationIntervalNs;
        final int room = held ? 0 : pacing.room(launchesInHand, offers.size(), nowNs);
        if (room <= 0 || !(allocations.takeDue() || fullDue))
        {
            return 0;
        }
        final long passStartNs = System.nanoTime();
        final OfferBuffer made = allocator.pass(nowNs, fullDue, room);
        pacing.made(made.size(), nowNs);
        if (made.size() >= room)
        {
            allocations.markDue(); // the pass stopped at its room: the agents it did not reach are next
        }
        metrics.allocationPass(fullDue, System.nanoTime() - passStartNs);
        if (fullDue)
        {
            lastFullPassNs = nowNs;
        }
        for (int i = 0; i < made.size(); i++)
        {
            send(made, i, nowNs);
        }
        return made.size();
    }

    private void send(final OfferBuffer made, final int i, final long nowNs)
    {
        final long agentId = allocator.agentId(made.agent(i));
        final long frameworkId = allocator.frameworkId(made.framework(i));
        final long[] resources = vectors.vector(0);
        made.amounts(i, resources);
        final OfferBook.Offer offer = offers.add(frameworkId, agentId, made.role(i), resources, nowNs);
        metrics.offersSent.inc();
        final MasterState.Framework framework = state.framework(frameworkId);
        toFrameworks.offer(framework == null ? null : framework.endpoint(), offer, state.agent(agentId),
            allocator.roleName(made.role(i)), nowNs);
    }

    /**
     * Rescinds offers outstanding longer than the offer timeout: the framework is told, and the
     * resources go back to the allocator (no filter: the framework may get them again).
     */
    int expire(final long nowNs)
    {
        if (offerTimeoutNs <= 0 || nowNs < nextOfferExpiryCheckNs || offers.isEmpty())
        {
            return 0;
        }
        nextOfferExpiryCheckNs = nowNs + OFFER_EXPIRY_CHECK_NS;
        final int work = rescind(offers.removeIf(o -> nowNs - o.sentAtNs() >= offerTimeoutNs), nowNs);
        metrics.offersRescinded.inc(work);
        if (work > 0)
        {
            LOG.info("rescinded {} offers unanswered for {} ms", work, offerTimeoutNs / 1_000_000L);
        }
        return work;
    }

    /**
     * Rescinds offers already taken out of the book: each framework is told and the resources go
     * back to the allocator (no filter: they may be offered again). Returns how many.
     */
    int rescind(final List<OfferBook.Offer> rescinded, final long nowNs)
    {
        for (final OfferBook.Offer o : rescinded)
        {
            final MasterState.Framework f = state.framework(o.frameworkId());
            toFrameworks.offerRescinded(f == null ? null : f.endpoint(), o.frameworkId(), o.offerId(), nowNs);
            allocations.release(o.agentId(), o.frameworkId(), allocations.roleName(o.role()), o.resources());
        }
        return rescinded.size();
    }

    /** A framework declined an offer; false (nothing changed) if the offer is unknown or not its own. */
    boolean decline(final long frameworkId, final long offerId, final long refuseMillis, final long nowNs)
    {
        final OfferBook.Offer offer = offers.get(offerId);
        if (offer == null || offer.frameworkId() != frameworkId)
        {
            return false;
        }
        offers.remove(offerId);
        pacing.answered(1, 0);
        allocations.decline(offer, nowNs, FrameworkControl.clampMs(refuseMillis) * 1_000_000L);
        return true;
    }

    /**
     * Suppresses (or revives) offers to a framework in some of its roles, or all of them (empty
     * list). Null if done (or the framework is unknown to the allocator), else why nothing changed.
     */
    String suppress(final long frameworkId, final boolean suppress, final String roleList)
    {
        final int f = allocator.frameworkSlot(frameworkId);
        if (f < 0)
        {
            return null;
        }
        final int[] subscribed = allocator.frameworkRoles(f);
        final List<Integer> targets = new ArrayList<>();
        if (roleList.isBlank())
        {
            for (final int r : subscribed)
            {
                targets.add(r);
            }
        }
        else
        {
            for (final String name : roleList.split(","))
            {
                final int r = allocator.roleSlot(name.trim());
                if (r < 0 || java.util.Arrays.stream(subscribed).noneMatch(x -> x == r))
                {
                    return "framework " + frameworkId + " is not subscribed to role '" + name.trim() +
                        "'; nothing was changed";
                }
                targets.add(r);
            }
        }
        for (final int r : targets)
        {
            if (suppress)
            {
                allocator.suppress(f, r);
            }
            else
            {
                allocator.revive(f, r);
            }
        }
        allocations.markDue();
        return null;
    }

    /**
     * The leader's books, per resource kind: {allocated in the allocator, held by outstanding
     * offers, used by tasks that have not ended}. With nothing leaked the first is the sum of the
     * other two.
     */
    long[][] accounting()
    {
        final int kinds = vectors.kinds().count();
        final long[] allocated = new long[kinds];
        final long[] offered = new long[kinds];
        final long[] used = new long[kinds];
        for (final MasterState.Agent agent : state.agentControl().each())
        {
            final int slot = allocator.agentSlot(agent.id());
            for (int k = 0; slot >= 0 && k < kinds; k++)
            {
                allocated[k] += allocator.allocated(slot, k);
            }
            for (final MasterState.Task t : state.taskControl().liveOn(agent.id()))
            {
                for (int k = 0; k < kinds; k++)
                {
                    used[k] += t.resources[k];
                }
            }
        }
        for (final OfferBook.Offer o : offers.all())
        {
            for (int k = 0; k < kinds; k++)
            {
                offered[k] += o.resources()[k];
            }
        }
        return new long[][] { allocated, offered, used };
    }
}
