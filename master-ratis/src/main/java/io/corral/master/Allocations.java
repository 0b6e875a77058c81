package io.corral.master;

import io.corral.allocator.Allocator;
import io.corral.allocator.AllocatorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's allocator seen through cluster ids (agent, framework, role names) instead of
 * slots: what Launches, the status path and LeaderDuties give back or take. Soft state, owned by
 * the duty thread; {@link #due} says an allocation pass has something new to consider.
 */
final class Allocations
{
    private static final Logger LOG = LoggerFactory.getLogger(Allocations.class);

    private final Allocator allocator;
    private boolean due = true;

    Allocations(final Allocator allocator)
    {
        this.allocator = allocator;
    }

    /** True once since the last call if something changed that an incremental pass should see. */
    boolean takeDue()
    {
        final boolean was = due;
        due = false;
        return was;
    }

    void markDue()
    {
        due = true;
    }

    /** Slot of a role, added if new. */
    int role(final String name)
    {
        final int slot = allocator.roleSlot(name);
        return slot >= 0 ? slot : allocator.addRole(name);
    }

    String roleName(final int slot)
    {
        return allocator.roleName(slot);
    }

    /** Slots of a comma-separated role list (a framework may subscribe to several). */
    int[] roles(final String names)
    {
        final String[] parts = names.split(",");
        final int[] slots = new int[parts.length];
        for (int i = 0; i < parts.length; i++)
        {
            slots[i] = role(parts[i].trim());
        }
        return slots;
    }

    void addAgent(final MasterState.Agent agent)
    {
        if (allocator.agentSlot(agent.id()) < 0)
        {
            try
            {
                allocator.addAgent(agent.id(), agent.resources());
            }
            catch (final io.corral.allocator.AllocatorException ex)
            {
                // Registration refuses such agents (AgentControl.MAX_PER_KIND); one in an older log is
                // kept in the state but never offered, rather than stopping every leader that applies it.
                LOG.error("agent {} ({}) is not offered: {}", agent.id(), agent.hostname(), ex.getMessage());
            }
        }
        due = true;
    }

    void removeAgent(final long agentId)
    {
        final int slot = allocator.agentSlot(agentId);
        if (slot >= 0)
        {
            allocator.removeAgent(slot);
        }
    }

    void addFramework(final MasterState.Framework framework)
    {
        if (allocator.frameworkSlot(framework.id()) < 0)
        {
            allocator.addFramework(framework.id(), roles(framework.role()));
        }
        due = true;
    }

    void removeFramework(final long frameworkId)
    {
        final int slot = allocator.frameworkSlot(frameworkId);
        if (slot >= 0)
        {
            allocator.removeFramework(slot);
        }
    }

    /** Gives resources of an agent back to the pool (a task ended, an offer was not used). */
    void release(final long agentId, final long frameworkId, final String role, final long[] resources)
    {
        final int agent = allocator.agentSlot(agentId);
        final int framework = allocator.frameworkSlot(frameworkId);
        if (agent < 0 || framework < 0 || allocator.roleSlot(role) < 0)
        {
            return;
        }
        try
        {
            allocator.release(agent, framework, allocator.roleSlot(role), resources);
            due = true;
        }
        catch (final AllocatorException ex)
        {
            LOG.warn("could not release {} of framework {} on agent {}: {}", resources, frameworkId, agentId,
                ex.getMessage());
        }
    }

    /** Counts a task's resources as allocated (a task this leader did not launch); null, or why not. */
    String recover(final long agentId, final long frameworkId, final String role, final long[] resources)
    {
        try
        {
            allocator.recoverAllocation(allocator.agentSlot(agentId), allocator.frameworkSlot(frameworkId), role(role),
                resources);
            return null;
        }
        catch (final RuntimeException ex)
        {
            return ex.getMessage();
        }
    }

    /** Applies a committed role configuration. */
    void applyRole(final MasterState.Role r)
    {
        try
        {
            final int slot = role(r.name());
            allocator.setWeight(slot, r.weight());
            allocator.setQuota(slot, r.guarantee(), r.limit());
            due = true;
        }
        catch (final AllocatorException ex)
        {
            LOG.warn("role {} cannot be applied to the allocator now: {}", r.name(), ex.getMessage());
        }
    }

    /**
     * Checks a role change against the allocator (quota guarantees must fit the cluster) and, if
     * it fits, applies it at once; the caller then replicates it. Returns why not, or null.
     */
    String tryRole(final MasterState.Role r)
    {
        try
        {
            final int slot = role(r.name());
            final double oldWeight = allocator.weight(slot);
            allocator.setWeight(slot, r.weight());
            try
            {
                allocator.setQuota(slot, r.guarantee(), r.limit());
            }
            catch (final AllocatorException ex)
            {
                allocator.setWeight(slot, oldWeight);
                throw ex;
            }
            due = true;
            return null;
        }
        catch (final AllocatorException ex)
        {
            return ex.getMessage();
        }
    }

    /** Declines an offer's resources, filtered for the framework on that agent for {@code refuseNs}. */
    void decline(final OfferBook.Offer offer, final long nowNs, final long refuseNs)
    {
        try
        {
            allocator.decline(allocator.agentSlot(offer.agentId()), allocator.frameworkSlot(offer.frameworkId()),
                offer.role(), offer.resources(), nowNs, refuseNs);
            due = true;
        }
        catch (final AllocatorException ex)
        {
            LOG.warn("decline of offer {} failed: {}", offer.offerId(), ex.getMessage());
        }
    }
}
