package io.corral.allocator;

/**
 * The hierarchical weighted DRF allocator: decides which framework is offered which agent's free
 * resources. Single-threaded, deterministic for a given seed and call sequence, no I/O.
 *
 * <p>Every operation validates all of its input before changing anything, so a rejected call
 * ({@link AllocatorException}) leaves the state as it was. Passes write into a reused
 * {@link OfferBuffer} and allocate nothing per agent.
 */
public final class Allocator extends AllocatorQueries implements AllocatorOperations
{
    private final AllocationPass pass;
    private final long[] free;
    private final long[] scratch;

    public Allocator(final AllocatorConfig config)
    {
        super(new AllocatorState(config));
        pass = new AllocationPass(state, config.agentCapacity());
        free = new long[k];
        scratch = new long[k];
    }

    // ---------------------------------------------------------------- agents

    @Override
    public int addAgent(final long agentId, final long[] total)
    {
        kinds.validate(total, "total of agent " + agentId);
        if (agents.slotById.get(agentId) != -1)
        {
            throw new AllocatorException("agent " + agentId + " is already registered (slot " +
                agents.slotById.get(agentId) + ")");
        }
        for (int i = 0; i < k; i++)
        {
            if (agents.clusterTotal[i] > Long.MAX_VALUE - total[i])
            {
                throw new AllocatorException("agent " + agentId + " would overflow the cluster total of " +
                    kinds.name(i));
            }
        }
        final int a = agents.acquire(agentId);
        state.ensureAgentCapacity(agents.capacity());
        pass.ensureAgentCapacity(agents.capacity());
        System.arraycopy(total, 0, agents.total, a * k, k);
        for (int i = 0; i < k; i++)
        {
            agents.clusterTotal[i] += total[i];
        }
        agents.active[a] = true;
        state.sharesStale = true;
        state.markDirty(a);
        state.refreshOfferable(a);
        return a;
    }

    @Override
    public void updateAgent(final int agent, final long[] total)
    {
        checkAgent(agent);
        kinds.validate(total, "new total of agent " + agents.externalId[agent]);
        for (int i = 0; i < k; i++)
        {
            final long reserved = reservations.sum(agent, i, false);
            final long reservedInUse = reservations.sum(agent, i, true);
            final long unreservedInUse = agents.allocated[agent * k + i] - reservedInUse;
            if (total[i] < reserved || total[i] - reserved < unreservedInUse)
            {
                throw new AllocatorException("agent " + agents.externalId[agent] + " cannot shrink " + kinds.name(i) +
                    " to " + total[i] + ": " + reserved + " reserved and " + unreservedInUse +
                    " unreserved allocated; release or unreserve first");
            }
        }
        for (int i = 0; i < k; i++)
        {
            agents.clusterTotal[i] += total[i] - agents.total[agent * k + i];
        }
        System.arraycopy(total, 0, agents.total, agent * k, k);
        state.sharesStale = true;
        state.markDirty(agent);
        state.refreshOfferable(agent);
    }

    @Override
    public void removeAgent(final int agent)
    {
        checkAgent(agent);
        for (int e = ledger.headOfAgent(agent); e != -1; e = ledger.headOfAgent(agent))
        {
            state.deallocate(agent, ledger.member(e), e, ledger.amountColumn(), e * k);
        }
        for (int e = reservations.headOfAgent(agent); e != -1; e = reservations.headOfAgent(agent))
        {
            roles.reservations[reservations.role(e)]--;
            reservations.remove(agent, e);
        }
        filters.clearAgent(agent);
        for (int i = 0; i < k; i++)
        {
            agents.clusterTotal[i] -= agents.total[agent * k + i];
        }
        state.offerable.set(agent, false);
        agents.release(agent);
        state.sharesStale = true;
    }

    @Override
    public void activateAgent(final int agent)
    {
        checkAgent(agent);
        agents.active[agent] = true;
        state.markDirty(agent);
        state.refreshOfferable(agent);
    }

    @Override
    public void deactivateAgent(final int agent)
    {
        checkAgent(agent);
        agents.active[agent] = false;
        state.refreshOfferable(agent);
    }

    @Override
    public void setReservation(final int agent, final int role, final long[] reserve)
    {
        checkAgent(agent);
        checkRole(role);
        kinds.validate(reserve, "reservation for role " + roles.name[role] + " on agent " + agents.externalId[agent]);
        final int e = reservations.find(agent, role);
        boolean empty = true;
        for (int i = 0; i < k; i++)
        {
            empty &= reserve[i] == 0;
            final long roleOnAgent = e != -1 ? reservations.roleAlloc(e, i) : state.roleAllocationOnAgent(agent, role, i);
            final long oldReserved = e != -1 ? reservations.reserved(e, i) : 0;
            final long reserved = reservations.sum(agent, i, false) - oldReserved + reserve[i];
            final long reservedInUse = reservations.sum(agent, i, true) -
                Math.min(roleOnAgent, oldReserved) + Math.min(roleOnAgent, reserve[i]);
            final long total = agents.total[agent * k + i];
            if (reserved > total)
            {
                throw new AllocatorException("agent " + agents.externalId[agent] + " has " + kinds.name(i) + " " +
                    total + "; reservations would total " + reserved);
            }
            if (agents.allocated[agent * k + i] - reservedInUse > total - reserved)
            {
                throw new AllocatorException("agent " + agents.externalId[agent] + ": reserving " + kinds.name(i) +
                    " " + reserve[i] + " for role " + roles.name[role] +
                    " would take resources already allocated to other roles; release them first");
            }
        }
        if (e != -1 && empty)
        {
            roles.reservations[role]--;
            reservations.remove(agent, e);
        }
        else if (e != -1)
        {
            reservations.setReserved(e, reserve);
        }
        else if (!empty)
        {
            for (int i = 0; i < k; i++)
            {
                scratch[i] = state.roleAllocationOnAgent(agent, role, i);
            }
            reservations.create(agent, role, reserve, scratch);
            roles.reservations[role]++;
        }
        state.markDirty(agent);
        state.refreshOfferable(agent);
    }

    // ---------------------------------------------------------------- roles

    @Override
    public int addRole(final String name)
    {
        if (name == null || !name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"))
        {
            throw new AllocatorException("role name '" + name + "' is invalid: use 1-128 characters of " +
                "letters, digits, '_', '.', '-', not starting with '.' or '-'");
        }
        if (roles.slotByName.containsKey(name))
        {
            throw new AllocatorException("role '" + name + "' already exists");
        }
        final int r = roles.acquire(name, frameworks.memberKeys, frameworks.memberPositions);
        roles.keys.key[r] = state.roleKey(r);
        return r;
    }

    @Override
    public void removeRole(final int role)
    {
        checkRole(role);
        if (roles.members[role] > 0)
        {
            throw new AllocatorException("role " + roles.name[role] + " still has " + roles.members[role] +
                " framework(s) subscribed; remove them first");
        }
        if (roles.reservations[role] > 0)
        {
            throw new AllocatorException("role " + roles.name[role] + " still has reservations on " +
                roles.reservations[role] + " agent(s); unreserve first");
        }
        for (int i = 0; i < k; i++)
        {
            roles.guaranteeSum[i] -= roles.guarantee[role * k + i];
        }
        roles.release(role);
    }

    @Override
    public void setWeight(final int role, final double weight)
    {
        checkRole(role);
        if (!(weight > 0) || Double.isInfinite(weight))
        {
            throw new AllocatorException("weight of role " + roles.name[role] + " must be a positive finite number, got " +
                weight);
        }
        roles.weight[role] = weight;
        state.refreshRole(role);
    }

    @Override
    public void setQuota(final int role, final long[] guarantee, final long[] limit)
    {
        checkRole(role);
        kinds.validate(guarantee, "quota guarantee of role " + roles.name[role]);
        kinds.validate(limit, "quota limit of role " + roles.name[role]);
        for (int i = 0; i < k; i++)
        {
            if (limit[i] < guarantee[i])
            {
                throw new AllocatorException("quota of role " + roles.name[role] + ": limit " + kinds.name(i) + " " +
                    kinds.formatValue(i, limit[i]) + " is below its guarantee " + kinds.formatValue(i, guarantee[i]) +
                    ": raise the limit or lower the guarantee");
            }
            final long sum = roles.guaranteeSum[i] - roles.guarantee[role * k + i] + guarantee[i];
            if (sum > agents.clusterTotal[i])
            {
                throw new AllocatorException("quota guarantee of role " + roles.name[role] + " is too large: " +
                    "guarantees would total " + kinds.name(i) + " " + kinds.formatValue(i, sum) + " but the cluster has " +
                    kinds.formatValue(i, agents.clusterTotal[i]));
            }
        }
        for (int i = 0; i < k; i++)
        {
            roles.guaranteeSum[i] += guarantee[i] - roles.guarantee[role * k + i];
        }
        System.arraycopy(guarantee, 0, roles.guarantee, role * k, k);
        System.arraycopy(limit, 0, roles.limit, role * k, k);
        state.refreshRole(role);
        state.allDirty = true;
    }

    // ---------------------------------------------------------------- frameworks

    @Override
    public int addFramework(final long frameworkId, final int... roleSlots)
    {
        if (frameworks.slotById.get(frameworkId) != -1)
        {
            throw new AllocatorException("framework " + frameworkId + " is already registered");
        }
        if (roleSlots == null || roleSlots.length == 0)
        {
            throw new AllocatorException("framework " + frameworkId + " must subscribe to at least one role");
        }
        for (int i = 0; i < roleSlots.length; i++)
        {
            if (!roles.exists(roleSlots[i]))
            {
                throw new AllocatorException("framework " + frameworkId + " names unknown role slot " + roleSlots[i]);
            }
            for (int j = 0; j < i; j++)
            {
                if (roleSlots[i] == roleSlots[j])
                {
                    throw new AllocatorException("framework " + frameworkId + " names role " +
                        roles.name[roleSlots[i]] + " twice");
                }
            }
        }
        final int f = frameworks.acquire(frameworkId, roleSlots.length);
        filters.ensureFrameworkCapacity(frameworks.externalId.length);
        for (int i = 0; i < roleSlots.length; i++)
        {
            final int r = roleSlots[i];
            final int m = frameworks.acquireMember(f, r);
            ledger.ensureMemberCapacity(frameworks.memberFramework.length);
            frameworks.memberships[f][i] = m;
            frameworks.memberKeys.key[m] = state.memberKey(m);
            roles.memberHeap[r].add(m);
            roles.members[r]++;
            roles.activeMembers[r]++;
            state.refreshRole(r);
        }
        state.allDirty = true;
        return f;
    }

    @Override
    public void removeFramework(final int framework)
    {
        checkFramework(framework);
        for (final int m : frameworks.memberships[framework])
        {
            for (int e = ledger.headOfMember(m); e != -1; e = ledger.headOfMember(m))
            {
                final int a = ledger.agent(e);
                state.deallocate(a, m, e, ledger.amountColumn(), e * k);
                state.markDirty(a);
            }
            final int r = frameworks.memberRole[m];
            roles.members[r]--;
            if (!frameworks.suppressed[m])
            {
                roles.memberHeap[r].remove(m);
                roles.activeMembers[r]--;
            }
            state.refreshRole(r);
        }
        filters.clearFramework(framework);
        frameworks.release(framework);
    }

    @Override
    public void suppress(final int framework, final int role)
    {
        final int m = checkMembership(framework, role);
        if (frameworks.suppressed[m])
        {
            return;
        }
        frameworks.suppressed[m] = true;
        roles.memberHeap[role].remove(m);
        roles.activeMembers[role]--;
        state.refreshRole(role);
    }

    @Override
    public void revive(final int framework, final int role)
    {
        final int m = checkMembership(framework, role);
        filters.clearFramework(framework);
        state.allDirty = true;
        if (!frameworks.suppressed[m])
        {
            return;
        }
        frameworks.suppressed[m] = false;
        frameworks.memberKeys.key[m] = state.memberKey(m);
        roles.memberHeap[role].add(m);
        roles.activeMembers[role]++;
        state.refreshRole(role);
    }

    // ---------------------------------------------------------------- allocations

    @Override
    public void recoverAllocation(final int agent, final int framework, final int role, final long[] recovered)
    {
        checkAgent(agent);
        final int m = checkMembership(framework, role);
        kinds.validate(recovered, "recovered allocation");
        if (state.isZero(recovered))
        {
            throw new AllocatorException("recovered allocation for framework " + frameworks.externalId[framework] +
                " on agent " + agents.externalId[agent] + " is empty");
        }
        final int e = reservations.find(agent, role);
        state.unreservedFree(agent, free);
        for (int i = 0; i < k; i++)
        {
            final long available = free[i] + (e == -1 ? 0 : reservations.reservedFree(e, i));
            if (recovered[i] > available)
            {
                throw new AllocatorException("cannot recover " + kinds.name(i) + " " + recovered[i] + " for framework " +
                    frameworks.externalId[framework] + " on agent " + agents.externalId[agent] + ": only " +
                    available + " is free there for role " + roles.name[role]);
            }
        }
        state.allocate(agent, m, recovered, 0);
        state.markDirty(agent);
    }

    @Override
    public void release(final int agent, final int framework, final int role, final long[] released)
    {
        final int e = checkRelease(agent, framework, role, released);
        state.deallocate(agent, ledger.member(e), e, released, 0);
        state.markDirty(agent);
    }

    @Override
    public void decline(final int agent, final int framework, final int role, final long[] declined,
        final long nowNs, final long refuseNs)
    {
        if (refuseNs < 0)
        {
            throw new AllocatorException("refuse duration must not be negative, got " + refuseNs + " ns");
        }
        final int e = checkRelease(agent, framework, role, declined);
        state.deallocate(agent, ledger.member(e), e, declined, 0);
        if (refuseNs > 0)
        {
            final long until = nowNs > Long.MAX_VALUE - refuseNs ? Long.MAX_VALUE : nowNs + refuseNs;
            filters.add(framework, agent, until);
        }
        state.markDirty(agent);
    }

    // ---------------------------------------------------------------- passes

    @Override
    public OfferBuffer fullPass(final long nowNs)
    {
        return pass.run(nowNs, true, Integer.MAX_VALUE);
    }

    @Override
    public OfferBuffer incrementalPass(final long nowNs)
    {
        return pass.run(nowNs, false, Integer.MAX_VALUE);
    }

    @Override
    public OfferBuffer pass(final long nowNs, final boolean full, final int maxOffers)
    {
        if (maxOffers < 1)
        {
            throw new AllocatorException("a pass must be allowed at least one offer, got " + maxOffers);
        }
        return pass.run(nowNs, full, maxOffers);
    }

}
