package io.corral.allocator;

/**
 * What {@link Allocator} answers without changing anything (slots, ids, totals, allocations,
 * weights, quotas) and the checks its operations make before changing anything. Its state is the
 * allocator's; the operations are in {@link Allocator}.
 */
public abstract class AllocatorQueries
{
    final AllocatorState state;
    final ResourceKinds kinds;
    final int k;
    final AgentTable agents;
    final RoleTable roles;
    final FrameworkTable frameworks;
    final ReservationTable reservations;
    final AllocationLedger ledger;
    final OfferFilters filters;

    AllocatorQueries(final AllocatorState state)
    {
        this.state = state;
        kinds = state.kinds;
        k = state.k;
        agents = state.agents;
        roles = state.roles;
        frameworks = state.frameworks;
        reservations = state.reservations;
        ledger = state.ledger;
        filters = state.filters;
    }

    public ResourceKinds kinds()
    {
        return kinds;
    }

    // ---------------------------------------------------------------- bookkeeping

    // ---------------------------------------------------------------- validation

    final void checkAgent(final int agent)
    {
        if (!agents.exists(agent))
        {
            throw new AllocatorException("unknown agent slot " + agent);
        }
    }

    final void checkRole(final int role)
    {
        if (!roles.exists(role))
        {
            throw new AllocatorException("unknown role slot " + role);
        }
    }

    final void checkFramework(final int framework)
    {
        if (!frameworks.exists(framework))
        {
            throw new AllocatorException("unknown framework slot " + framework);
        }
    }

    final int checkMembership(final int framework, final int role)
    {
        checkFramework(framework);
        checkRole(role);
        final int m = frameworks.membership(framework, role);
        if (m == -1)
        {
            throw new AllocatorException("framework " + frameworks.externalId[framework] +
                " is not subscribed to role " + roles.name[role]);
        }
        return m;
    }

    final int checkRelease(final int agent, final int framework, final int role, final long[] released)
    {
        checkAgent(agent);
        final int m = checkMembership(framework, role);
        kinds.validate(released, "released resources");
        final int e = ledger.find(agent, m);
        if (e == -1)
        {
            throw new AllocatorException("framework " + frameworks.externalId[framework] + " holds nothing on agent " +
                agents.externalId[agent] + " in role " + roles.name[role]);
        }
        for (int i = 0; i < k; i++)
        {
            if (released[i] > ledger.amount(e, i))
            {
                throw new AllocatorException("framework " + frameworks.externalId[framework] + " releases " +
                    kinds.name(i) + " " + released[i] + " on agent " + agents.externalId[agent] + " but holds only " +
                    ledger.amount(e, i));
            }
        }
        return e;
    }

    // ---------------------------------------------------------------- queries

    public boolean hasAgent(final int agent)
    {
        return agents.exists(agent);
    }

    public boolean hasFramework(final int framework)
    {
        return frameworks.exists(framework);
    }

    public boolean hasRole(final int role)
    {
        return roles.exists(role);
    }

    /** The roles a framework subscribes to, in subscription order (a copy). */
    public int[] frameworkRoles(final int framework)
    {
        checkFramework(framework);
        final int[] members = frameworks.memberships[framework];
        final int[] out = new int[members.length];
        for (int i = 0; i < members.length; i++)
        {
            out[i] = frameworks.memberRole[members[i]];
        }
        return out;
    }

    /** Slot of an agent by id, or -1. */
    public int agentSlot(final long agentId)
    {
        return (int)agents.slotById.get(agentId);
    }

    public long agentId(final int agent)
    {
        checkAgent(agent);
        return agents.externalId[agent];
    }

    /** Slot of a framework by id, or -1. */
    public int frameworkSlot(final long frameworkId)
    {
        return (int)frameworks.slotById.get(frameworkId);
    }

    public long frameworkId(final int framework)
    {
        checkFramework(framework);
        return frameworks.externalId[framework];
    }

    /** Slot of a role, or -1. */
    public int roleSlot(final String name)
    {
        final Integer r = roles.slotByName.get(name);
        return r == null ? -1 : r;
    }

    public String roleName(final int role)
    {
        checkRole(role);
        return roles.name[role];
    }

    public int agentCount()
    {
        return agents.slots.inUse();
    }

    public int frameworkCount()
    {
        return frameworks.slots.inUse();
    }

    public int roleCount()
    {
        return roles.slots.inUse();
    }

    public boolean isActive(final int agent)
    {
        checkAgent(agent);
        return agents.active[agent];
    }

    /** True if the agent has something allocatable and is active: a pass will look at it. */
    public boolean isOfferable(final int agent)
    {
        checkAgent(agent);
        return state.offerable.contains(agent);
    }

    public long total(final int agent, final int kind)
    {
        checkAgent(agent);
        return agents.total[agent * k + kind];
    }

    public long allocated(final int agent, final int kind)
    {
        checkAgent(agent);
        return agents.allocated[agent * k + kind];
    }

    public long clusterTotal(final int kind)
    {
        return agents.clusterTotal[kind];
    }

    public long roleAllocated(final int role, final int kind)
    {
        checkRole(role);
        return roles.allocated[role * k + kind];
    }

    /** What the framework holds in the role, over all agents. */
    public long frameworkAllocated(final int framework, final int role, final int kind)
    {
        final int m = checkMembership(framework, role);
        return frameworks.memberAllocated[m * k + kind];
    }

    /** What the framework holds in the role on one agent. */
    public long allocation(final int agent, final int framework, final int role, final int kind)
    {
        checkAgent(agent);
        final int m = checkMembership(framework, role);
        final int e = ledger.find(agent, m);
        return e == -1 ? 0 : ledger.amount(e, kind);
    }

    /** The reservation for a role on an agent (0 when there is none). */
    public long reserved(final int agent, final int role, final int kind)
    {
        checkAgent(agent);
        checkRole(role);
        final int e = reservations.find(agent, role);
        return e == -1 ? 0 : reservations.reserved(e, kind);
    }

    public double weight(final int role)
    {
        checkRole(role);
        return roles.weight[role];
    }

    public long guarantee(final int role, final int kind)
    {
        checkRole(role);
        return roles.guarantee[role * k + kind];
    }

    public long limit(final int role, final int kind)
    {
        checkRole(role);
        return roles.limit[role * k + kind];
    }

    public boolean isSuppressed(final int framework, final int role)
    {
        return frameworks.suppressed[checkMembership(framework, role)];
    }

    /** Number of decline filters held (expired ones are dropped lazily). */
    public int filterCount()
    {
        return filters.count();
    }

    /** Passes run so far: the pass number seeds that pass's shuffle. */
    public long passCount()
    {
        return state.pass;
    }
}
