package io.corral.master;

import java.util.List;
import java.util.function.LongConsumer;

import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongHashSet;

/**
 * The leader's view of who is alive (soft state): a deadline per agent and per framework, pushed
 * back each time one is heard from. On taking office everyone gets the re-registration grace;
 * a framework's deadline also includes its failover timeout. Overdue ones are handed out once.
 * Primitive maps: marking one alive (every heartbeat) allocates nothing.
 *
 * <p>Deadlines are compared with the moment the master last had read everything sent to it
 * ({@code heardUpToNs}), not with the clock: a heartbeat still waiting in the master's own
 * inbound buffer, because the master is behind, does not count against the agent (a leader under
 * task load was measured 6 s behind, past the 5 s agent timeout).
 */
final class LivenessTracker
{
    private static final long CHECK_EVERY_NS = 100_000_000L;

    private static final long NONE = Long.MIN_VALUE;

    private final Long2LongHashMap agentDeadlineNs = new Long2LongHashMap(NONE);
    private final Long2LongHashMap frameworkDeadlineNs = new Long2LongHashMap(NONE);
    private final LongHashSet removalsProposed = new LongHashSet();
    private final long configuredAgentTimeoutNs;
    private long agentTimeoutNs;
    private final long frameworkTimeoutNs;
    private final long graceNs;
    private long nextCheckNs;

    LivenessTracker(final MasterConfig config)
    {
        configuredAgentTimeoutNs = config.agentTimeoutMs() * 1_000_000L;
        agentTimeoutNs = configuredAgentTimeoutNs;
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

    /**
     * Agents are told to heartbeat every {@code intervalNs}: one is overdue after five missed
     * intervals, or the configured timeout if that is longer.
     */
    void heartbeatInterval(final long intervalNs)
    {
        agentTimeoutNs = Math.max(configuredAgentTimeoutNs, 5 * intervalNs);
    }

    private int pacedForAgents = -1;
    private long pacedIntervalMs;

    /**
     * How often agents should heartbeat with {@code agents} in the cluster: so that all together
     * send at most {@link MasterConfig#MAX_AGENT_HEARTBEATS_PER_SECOND} (0 up to the size where
     * their own default already does; then agents keep their own interval). Sets the agent
     * timeout to match ({@link #heartbeatInterval}).
     */
    long pacedIntervalMs(final int agents)
    {
        if (agents != pacedForAgents)
        {
            pacedForAgents = agents;
            final long paced = agents * 1000L / MasterConfig.MAX_AGENT_HEARTBEATS_PER_SECOND;
            pacedIntervalMs = paced <= 500 ? 0 : paced;
            heartbeatInterval(pacedIntervalMs * 1_000_000L);
        }
        return pacedIntervalMs;
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

    /**
     * Hands each agent and framework whose deadline passed before {@code heardUpToNs} (when the
     * master last had read all its inbound messages) to the matching callback, once; returns how many.
     */
    int check(final long nowNs, final long heardUpToNs, final LongConsumer removeAgent,
        final LongConsumer removeFramework)
    {
        if (nowNs < nextCheckNs)
        {
            return 0;
        }
        nextCheckNs = nowNs + CHECK_EVERY_NS;
        return overdue(agentDeadlineNs, heardUpToNs, removeAgent) +
            overdue(frameworkDeadlineNs, heardUpToNs, removeFramework);
    }

    private int overdue(final Long2LongHashMap deadlines, final long heardUpToNs, final LongConsumer remove)
    {
        int work = 0;
        final Long2LongHashMap.KeyIterator ids = deadlines.keySet().iterator();
        while (ids.hasNext())
        {
            final long id = ids.nextValue();
            if (heardUpToNs > deadlines.get(id) && removalsProposed.add(id))
            {
                remove.accept(id);
                work++;
            }
        }
        return work;
    }
}
