package io.corral.allocator;

import java.util.Arrays;

import org.agrona.collections.Long2LongHashMap;

/**
 * Decline filters: framework × agent → time until which that framework is not offered that
 * agent. Counts per framework and per agent make the common case (no filters) one array read.
 */
final class OfferFilters
{
    private static final long NONE = Long.MIN_VALUE;

    private final Long2LongHashMap until = new Long2LongHashMap(64, 0.65f, NONE);
    private int[] perFramework;
    private int[] perAgent;

    OfferFilters(final int frameworkCapacity, final int agentCapacity)
    {
        perFramework = new int[frameworkCapacity];
        perAgent = new int[agentCapacity];
    }

    void ensureFrameworkCapacity(final int capacity)
    {
        if (capacity > perFramework.length)
        {
            perFramework = Arrays.copyOf(perFramework, Math.max(capacity, perFramework.length * 2));
        }
    }

    void ensureAgentCapacity(final int capacity)
    {
        if (capacity > perAgent.length)
        {
            perAgent = Arrays.copyOf(perAgent, Math.max(capacity, perAgent.length * 2));
        }
    }

    private static long key(final int framework, final int agent)
    {
        return ((long)framework << 32) | (agent & 0xFFFF_FFFFL);
    }

    /** Filters {@code agent} for {@code framework} until {@code untilNs}, replacing an earlier filter. */
    void add(final int framework, final int agent, final long untilNs)
    {
        if (until.put(key(framework, agent), untilNs) == NONE)
        {
            perFramework[framework]++;
            perAgent[agent]++;
        }
    }

    /** True while a filter is in force; an expired filter is dropped on the way. */
    boolean isFiltered(final int framework, final int agent, final long nowNs)
    {
        if (perFramework[framework] == 0 || perAgent[agent] == 0)
        {
            return false;
        }
        final long k = key(framework, agent);
        final long expiry = until.get(k);
        if (expiry == NONE)
        {
            return false;
        }
        if (nowNs < expiry)
        {
            return true;
        }
        until.remove(k);
        perFramework[framework]--;
        perAgent[agent]--;
        return false;
    }

    int count()
    {
        return until.size();
    }

    void clearFramework(final int framework)
    {
        if (perFramework[framework] != 0)
        {
            removeWhere(framework, -1);
        }
    }

    void clearAgent(final int agent)
    {
        if (perAgent[agent] != 0)
        {
            removeWhere(-1, agent);
        }
    }

    private void removeWhere(final int framework, final int agent)
    {
        final Long2LongHashMap.KeyIterator it = until.keySet().iterator();
        while (it.hasNext())
        {
            final long k = it.nextValue();
            final int f = (int)(k >>> 32);
            final int a = (int)k;
            if (f == framework || a == agent)
            {
                it.remove();
                perFramework[f]--;
                perAgent[a]--;
            }
        }
    }
}
