package io.corral.allocator;

import java.util.Arrays;

/**
 * The allocator's tables and the bookkeeping that keeps them consistent: every change to what is
 * allocated goes through {@link #allocate} or {@link #deallocate}, which update the ledger, the
 * shares and heap positions, and the set of agents with something to offer.
 */
final class AllocatorState
{
    final ResourceKinds kinds;
    final int k;
    final long seed;
    final SorterKind sorter;
    final long[] minAllocatable;
    final boolean anyMinimum;

    final AgentTable agents;
    final RoleTable roles;
    final FrameworkTable frameworks;
    final ReservationTable reservations;
    final AllocationLedger ledger;
    final OfferFilters filters;

    /** Active agents with something allocatable: the only agents a pass looks at. */
    final AgentSet offerable;
    /** Agents whose free resources changed since the last pass. */
    final AgentSet dirty;
    int[] dirtyList;
    int dirtyCount;
    /** Something changed that concerns every agent (framework added or revived, quota set). */
    boolean allDirty;
    /** The cluster total changed, so every DRF key is out of date until {@link #rekeyAll()}. */
    boolean sharesStale;
    long pass;

    private final long[] scratch;

    AllocatorState(final AllocatorConfig config)
    {
        config.conclude();
        this.kinds = config.kinds();
        this.k = kinds.count();
        this.seed = config.seed();
        this.sorter = config.sorter();
        this.minAllocatable = config.minAllocatable();
        boolean any = false;
        for (final long min : minAllocatable)
        {
            any |= min > 0;
        }
        this.anyMinimum = any;
        final int agentCapacity = config.agentCapacity();
        agents = new AgentTable(k, agentCapacity);
        roles = new RoleTable(k, config.roleCapacity());
        frameworks = new FrameworkTable(k, config.frameworkCapacity());
        reservations = new ReservationTable(k, agentCapacity);
        ledger = new AllocationLedger(k, agentCapacity, agentCapacity, config.frameworkCapacity());
        filters = new OfferFilters(config.frameworkCapacity(), agentCapacity);
        offerable = new AgentSet(agentCapacity);
        dirty = new AgentSet(agentCapacity);
        dirtyList = new int[agentCapacity];
        scratch = new long[k];
    }

    void allocate(final int a, final int m, final long[] src, final int off)
    {
        final int r = frameworks.memberRole[m];
        final long[] agentAllocated = agents.allocated;
        final long[] memberAllocated = frameworks.memberAllocated;
        final long[] roleAllocated = roles.allocated;
        for (int i = 0; i < k; i++)
        {
            final long v = src[off + i];
            agentAllocated[a * k + i] += v;
            memberAllocated[m * k + i] += v;
            roleAllocated[r * k + i] += v;
        }
        final int e = reservations.find(a, r);
        if (e != -1)
        {
            reservations.addRoleAlloc(e, src, off, 1);
        }
        ledger.add(a, m, src, off);
        refreshMember(m);
        refreshRole(r);
        refreshOfferable(a);
    }

    /** Reverses (part of) ledger entry {@code e}; {@code src} may be the ledger's own column. */
    void deallocate(final int a, final int m, final int e, final long[] src, final int off)
    {
        final int r = frameworks.memberRole[m];
        for (int i = 0; i < k; i++)
        {
            final long v = src[off + i];
            agents.allocated[a * k + i] -= v;
            frameworks.memberAllocated[m * k + i] -= v;
            roles.allocated[r * k + i] -= v;
        }
        final int res = reservations.find(a, r);
        if (res != -1)
        {
            reservations.addRoleAlloc(res, src, off, -1);
        }
        ledger.subtract(e, src, off);
        refreshMember(m);
        refreshRole(r);
        refreshOfferable(a);
    }

    void refreshMember(final int m)
    {
        frameworks.memberKeys.key[m] = memberKey(m);
        final ShareHeap heap = roles.memberHeap[frameworks.memberRole[m]];
        if (heap.contains(m))
        {
            heap.update(m);
        }
    }

    void refreshRole(final int r)
    {
        roles.keys.key[r] = roleKey(r);
        roles.placeInHeaps(r);
    }

    double roleKey(final int r)
    {
        if (sorter == SorterKind.RANDOM)
        {
            return SplitMix64.randomKey(seed, pass, roleSalt(r), roles.keys.count[r], roles.weight[r]);
        }
        return dominantShare(roles.allocated, r * k) / roles.weight[r];
    }

    double memberKey(final int m)
    {
        if (sorter == SorterKind.RANDOM)
        {
            return SplitMix64.randomKey(seed, pass, memberSalt(frameworks.memberFramework[m], frameworks.memberRole[m]),
                frameworks.memberKeys.count[m], 1.0);
        }
        return dominantShare(frameworks.memberAllocated, m * k);
    }

    /** Salt of a role's random key; public so a reference implementation can match it. */
    static long roleSalt(final int role)
    {
        return 2L * (role + 1);
    }

    /** Salt of a framework-in-role random key; public so a reference implementation can match it. */
    static long memberSalt(final int framework, final int role)
    {
        return 2L * ((((long)framework + 1) << 32) | (role + 1)) + 1;
    }

    double dominantShare(final long[] allocation, final int offset)
    {
        double share = 0;
        final long[] total = agents.clusterTotal;
        for (int i = 0; i < k; i++)
        {
            final long t = total[i];
            if (t > 0)
            {
                final double s = (double)allocation[offset + i] / (double)t;
                if (s > share)
                {
                    share = s;
                }
            }
        }
        return share;
    }

    /** Recomputes every key (the cluster total changed, or a random pass began) and re-heapifies. */
    void rekeyAll()
    {
        final int memberLimit = frameworks.memberSlots.limit();
        for (int m = 0; m < memberLimit; m++)
        {
            if (frameworks.memberSlots.isUsed(m))
            {
                frameworks.memberKeys.key[m] = memberKey(m);
            }
        }
        final int roleLimit = roles.slots.limit();
        for (int r = 0; r < roleLimit; r++)
        {
            if (roles.exists(r))
            {
                roles.keys.key[r] = roleKey(r);
                roles.memberHeap[r].rebuild();
            }
        }
        roles.active.rebuild();
        roles.quota.rebuild();
        sharesStale = false;
    }

    void unreservedFree(final int a, final long[] out)
    {
        final boolean hasReservations = reservations.headOfAgent(a) != -1;
        for (int i = 0; i < k; i++)
        {
            long f = agents.total[a * k + i] - agents.allocated[a * k + i];
            if (hasReservations)
            {
                f -= reservations.sum(a, i, false) - reservations.sum(a, i, true);
            }
            out[i] = f;
        }
    }

    static boolean isZero(final long[] v)
    {
        for (final long x : v)
        {
            if (x != 0)
            {
                return false;
            }
        }
        return true;
    }

    boolean allocatable(final long[] v, final int off)
    {
        if (anyMinimum)
        {
            for (int i = 0; i < k; i++)
            {
                final long min = minAllocatable[i];
                if (min > 0 && v[off + i] >= min)
                {
                    return true;
                }
            }
            return false;
        }
        for (int i = 0; i < k; i++)
        {
            if (v[off + i] > 0)
            {
                return true;
            }
        }
        return false;
    }

    void refreshOfferable(final int a)
    {
        offerable.set(a, agents.active[a] && hasAllocatable(a));
    }

    boolean hasAllocatable(final int a)
    {
        unreservedFree(a, scratch);
        if (allocatable(scratch, 0))
        {
            return true;
        }
        for (int e = reservations.headOfAgent(a); e != -1; e = reservations.next(e))
        {
            boolean any = false;
            for (int i = 0; i < k; i++)
            {
                final long v = scratch[i] + reservations.reservedFree(e, i);
                if (anyMinimum ? minAllocatable[i] > 0 && v >= minAllocatable[i] : v > 0)
                {
                    any = true;
                    break;
                }
            }
            if (any)
            {
                return true;
            }
        }
        return false;
    }

    long roleAllocationOnAgent(final int a, final int r, final int kind)
    {
        long sum = 0;
        for (int e = ledger.headOfAgent(a); e != -1; e = ledger.nextOfAgent(e))
        {
            if (frameworks.memberRole[ledger.member(e)] == r)
            {
                sum += ledger.amount(e, kind);
            }
        }
        return sum;
    }

    void markDirty(final int a)
    {
        if (!dirty.contains(a))
        {
            dirty.set(a, true);
            dirtyList[dirtyCount++] = a;
        }
    }

    void clearDirty()
    {
        for (int i = 0; i < dirtyCount; i++)
        {
            dirty.set(dirtyList[i], false);
        }
        dirtyCount = 0;
        allDirty = false;
    }

    void ensureAgentCapacity(final int capacity)
    {
        reservations.ensureAgentCapacity(capacity);
        ledger.ensureAgentCapacity(capacity);
        filters.ensureAgentCapacity(capacity);
        offerable.ensureCapacity(capacity);
        dirty.ensureCapacity(capacity);
        if (capacity > dirtyList.length)
        {
            dirtyList = Arrays.copyOf(dirtyList, Math.max(capacity, dirtyList.length * 2));
        }
    }
}
