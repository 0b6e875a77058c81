package io.corral.allocator;

/**
 * What the master asks of an allocator. Slots are dense ints handed out by the add calls and
 * valid until the matching remove. Every call either succeeds or throws
 * {@link AllocatorException} naming the problem, with the state unchanged.
 *
 * <p>Resource vectors are one {@code long} per kind of {@link ResourceKinds}; they are copied,
 * never kept.
 */
public interface AllocatorOperations
{
    /** Adds an active agent with the given total resources; returns its slot. */
    int addAgent(long agentId, long[] total);

    /** Changes an agent's total; it may not drop below what is allocated or reserved. */
    void updateAgent(int agent, long[] total);

    /** Removes an agent; whatever was allocated on it is gone with it. */
    void removeAgent(int agent);

    /** Brings an agent back from maintenance: it is offered again. */
    void activateAgent(int agent);

    /** Puts an agent in maintenance: nothing more on it is offered. */
    void deactivateAgent(int agent);

    int addRole(String name);

    /** Removes a role that no framework subscribes to and no agent reserves for. */
    void removeRole(int role);

    /** Weight of a role in fair sharing (default 1). */
    void setWeight(int role, double weight);

    /**
     * Quota of a role: {@code guarantee} is offered before fair share, {@code limit} is never
     * exceeded by offers ({@code Long.MAX_VALUE}: no limit for that kind).
     */
    void setQuota(int role, long[] guarantee, long[] limit);

    /** Static reservation of part of an agent for a role (all zeros removes it). */
    void setReservation(int agent, int role, long[] amount);

    /** Adds a framework subscribed to the given roles; returns its slot. */
    int addFramework(long frameworkId, int... roles);

    /** Removes a framework; its allocations go back to their agents. */
    void removeFramework(int framework);

    /** Stops offers to a framework in one role (idempotent). */
    void suppress(int framework, int role);

    /** Resumes offers to a framework in one role and clears its decline filters. */
    void revive(int framework, int role);

    /** Records an allocation that already exists (a running task found after master failover). */
    void recoverAllocation(int agent, int framework, int role, long[] amount);

    /** Gives back part of an allocation (a task ended, or unused offered resources). */
    void release(int agent, int framework, int role, long[] amount);

    /**
     * Gives back an offer and refuses that agent for {@code refuseNs} nanoseconds of the
     * allocator's clock (0: no filter).
     */
    void decline(int agent, int framework, int role, long[] amount, long nowNs, long refuseNs);

    /** Decides offers for every agent with something to offer. The buffer is valid until the next pass. */
    OfferBuffer fullPass(long nowNs);

    /**
     * Decides offers for only the agents whose free resources changed since the last pass; after
     * a framework was added, revived or a quota changed, it covers every agent.
     */
    OfferBuffer incrementalPass(long nowNs);

    /**
     * A full or incremental pass that stops after {@code maxOffers} offers (at least one; the
     * agent it is at finishes, so a few more may be made): the agents it did not reach stay due,
     * and the next pass offers them. For a master that paces its offers to what it can launch.
     */
    OfferBuffer pass(long nowNs, boolean full, int maxOffers);
}
