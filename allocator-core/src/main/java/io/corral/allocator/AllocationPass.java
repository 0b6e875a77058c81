package io.corral.allocator;

/**
 * One allocation pass: pick the candidate agents, shuffle them with the pass's seed, then offer
 * each to roles with unmet quota guarantees (stage 1) and to everyone by fair share (stage 2).
 * Allocates nothing: candidates, amounts and offers live in arrays reused across passes.
 */
final class AllocationPass
{
    private static final int SMALL_DIRTY = 32;

    private final AllocatorState state;
    private final AgentSet offerable;
    private final RoleTable roles;
    private final FrameworkTable frameworks;
    private final ReservationTable reservations;
    private final OfferFilters filters;
    private final OfferBuffer offers;
    private final int k;
    private final SplitMix64 rng = new SplitMix64(0);
    private int[] candidates;
    private final long[] free;
    private final long[] amount;

    AllocationPass(final AllocatorState state, final int agentCapacity)
    {
        this.state = state;
        this.offerable = state.offerable;
        this.roles = state.roles;
        this.frameworks = state.frameworks;
        this.reservations = state.reservations;
        this.filters = state.filters;
        this.k = state.k;
        this.offers = new OfferBuffer(k, agentCapacity);
        this.candidates = new int[agentCapacity];
        this.free = new long[k];
        this.amount = new long[k];
    }

    void ensureAgentCapacity(final int capacity)
    {
        if (capacity > candidates.length)
        {
            candidates = new int[Math.max(capacity, candidates.length * 2)];
        }
    }

    /**
     * Runs a pass that stops once it has made {@code maxOffers} offers (the agent it is at
     * finishes): the agents it did not reach stay due for the next pass, so a master pacing its
     * offers loses none of them.
     */
    OfferBuffer run(final long nowNs, final boolean full, final int maxOffers)
    {
        state.pass++;
        offers.clear();
        if (roles.active.isEmpty() || offerable.count() == 0)
        {
            state.clearDirty();
            return offers;
        }
        final int n = collectCandidates(full || state.allDirty);
        state.clearDirty();
        if (n == 0)
        {
            return offers;
        }
        if (state.sorter == SorterKind.RANDOM || state.sharesStale)
        {
            state.rekeyAll();
        }
        rng.reseed(SplitMix64.passSeed(state.seed, state.pass));
        for (int i = n - 1; i > 0; i--)
        {
            final int j = rng.nextInt(i + 1);
            final int t = candidates[i];
            candidates[i] = candidates[j];
            candidates[j] = t;
        }
        if (!roles.quota.isEmpty())
        {
            for (int i = 0; i < n; i++)
            {
                if (offers.size() >= maxOffers)
                {
                    return stoppedAt(0, n); // every agent still has its fair-share stage to go
                }
                offerAgent(candidates[i], roles.quota, nowNs);
            }
        }
        for (int i = 0; i < n; i++)
        {
            if (offers.size() >= maxOffers)
            {
                return stoppedAt(i, n);
            }
            offerAgent(candidates[i], roles.active, nowNs);
        }
        return offers;
    }

    /** The pass stopped at its offer limit: candidates {@code from} on are due again. */
    private OfferBuffer stoppedAt(final int from, final int n)
    {
        for (int i = from; i < n; i++)
        {
            state.markDirty(candidates[i]);
        }
        return offers;
    }

    private int collectCandidates(final boolean everyAgent)
    {
        if (everyAgent)
        {
            return offerable.collect(candidates);
        }
        if (state.dirtyCount > SMALL_DIRTY)
        {
            return offerable.collectIntersection(state.dirty, candidates);
        }
        int n = 0;
        for (int i = 0; i < state.dirtyCount; i++)
        {
            final int a = state.dirtyList[i];
            if (offerable.contains(a) && state.dirty.contains(a))
            {
                int j = n++;
                while (j > 0 && candidates[j - 1] > a)
                {
                    candidates[j] = candidates[j - 1];
                    j--;
                }
                candidates[j] = a;
            }
        }
        return n;
    }

    /** Offers the agent to roles in {@code order} until it has nothing left that anyone may take. */
    private void offerAgent(final int a, final ShareHeap order, final long nowNs)
    {
        while (offerable.contains(a) && offerOnce(a, order, nowNs))
        {
            // each round made one offer; go again with what is left
        }
    }

    private boolean offerOnce(final int a, final ShareHeap order, final long nowNs)
    {
        state.unreservedFree(a, free);
        final boolean unreservedOfferable = state.allocatable(free, 0);
        final boolean hasReservations = reservations.headOfAgent(a) != -1;
        for (int r = order.firstInOrder(); r != -1; r = order.nextInOrder())
        {
            final int e = hasReservations ? reservations.find(a, r) : -1;
            if (e == -1 && !unreservedOfferable)
            {
                continue;
            }
            offerAmount(r, e);
            if (!state.allocatable(amount, 0))
            {
                continue;
            }
            final ShareHeap members = roles.memberHeap[r];
            for (int m = members.firstInOrder(); m != -1; m = members.nextInOrder())
            {
                final int f = frameworks.memberFramework[m];
                if (filters.isFiltered(f, a, nowNs))
                {
                    continue;
                }
                roles.keys.count[r]++;
                frameworks.memberKeys.count[m]++;
                state.allocate(a, m, amount, 0);
                final int row = offers.append(a, f, r);
                System.arraycopy(amount, 0, offers.amountColumn(), row * k, k);
                return true;
            }
        }
        return false;
    }

    /** What role {@code r} may take of the agent whose unreserved free is in {@link #free}. */
    private void offerAmount(final int r, final int reservation)
    {
        final int base = r * k;
        for (int i = 0; i < k; i++)
        {
            long offer = free[i];
            if (reservation != -1)
            {
                offer += reservations.reservedFree(reservation, i);
            }
            final long limit = roles.limit[base + i];
            if (limit != Long.MAX_VALUE)
            {
                final long room = limit - roles.allocated[base + i];
                offer = Math.min(offer, Math.max(0, room));
            }
            amount[i] = offer;
        }
    }
}
