package io.corral.master;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * The leader's view of who is alive (soft state): a deadline per agent and per framework, pushed
 * back each time one is heard from. On taking office everyone gets the re-registration grace;
 * a framework's deadline also includes its failover timeout. Overdue ones are handed out once.
 */
final class LivenessTracker
{
    private static final long CHECK_EVERY_NS = 100_000_000L;

    private final Map<Long, Long> agentDeadlineNs = new HashMap<>();
    private final Map<Long, Long> frameworkDeadlineNs = new HashMap<>();
    private final Set<Long> removalsProposed = new HashSet<>();
    private final long agentTimeoutNs;
    private final long frameworkTimeoutNs;
    private final long graceNs;
    private long nextCheckNs;

    LivenessTracker(final MasterConfig config)
    {
        agentTimeoutNs = config.agentTimeoutMs() * 1_000_000L;
        frameworkTimeoutNs = config.frameworkTimeoutMs() * 1_000_000L;
        graceNs = config.reregistrationGraceMs() * 1_000_000L;
    }

    /** Everyone known when a new leader takes office gets the grace period to find it. */
    void tookOffice(final List<MasterState.Agent> agents, final List<MasterState.Framework> frameworks, final long nowNs)
    {
        for (final MasterState.Agent agent : agents)
        {
            agentDeadlineNs.put(agent.id(), nowNs + Math.max(graceNs, agentTimeoutNs));
        }
        for (final MasterState.Framework framework : frameworks)
        {
            frameworkDeadlineNs.put(framework.id(), nowNs + Math.max(graceNs, frameworkTimeoutNs) +
                framework.failoverTimeoutMs() * 1_000_000L);
        }
    }

    void agentSeen(final long agentId, final long nowNs)
    {
        agentDeadlineNs.put(agentId, nowNs + agentTimeoutNs);
    }

    void frameworkSeen(final MasterState.Framework framework, final long nowNs)
    {
        frameworkDeadlineNs.put(framework.id(), nowNs + frameworkTimeoutNs + framework.failoverTimeoutMs() * 1_000_000L);
    }

    void agentGone(final long agentId)
    {
        agentDeadlineNs.remove(agentId);
        removalsProposed.remove(agentId);
    }

    void frameworkGone(final long frameworkId)
    {
        frameworkDeadlineNs.remove(frameworkId);
        removalsProposed.remove(frameworkId);
    }

    /** Hands each agent and framework past its deadline to the matching callback, once; returns how many. */
    int check(final long nowNs, final LongConsumer removeAgent, final LongConsumer removeFramework)
    {
        if (nowNs < nextCheckNs)
        {
            return 0;
        }
        nextCheckNs = nowNs + CHECK_EVERY_NS;
        int work = 0;
        for (final Map.Entry<Long, Long> e : agentDeadlineNs.entrySet())
        {
            if (nowNs > e.getValue() && removalsProposed.add(e.getKey()))
            {
                removeAgent.accept(e.getKey());
                work++;
            }
        }
        for (final Map.Entry<Long, Long> e : frameworkDeadlineNs.entrySet())
        {
            if (nowNs > e.getValue() && removalsProposed.add(e.getKey()))
            {
                removeFramework.accept(e.getKey());
                work++;
            }
        }
        return work;
    }
}
