package io.corral.master;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.corral.codec.sbe.TaskState;

/**
 * An immutable copy of {@link MasterState} as of one log index, built by the duty thread (the
 * state's only owner) and safe to read on any thread: the HTTP API, tests, the CLI. Nothing in it
 * changes after it is built, and nothing in it is shared with the live state.
 */
public final class MasterView
{
    private final long lastAppliedIndex;
    private final long appliedRecords;
    private final ResourceVectors vectors;
    private final List<MasterState.Agent> agents;
    private final List<MasterState.Framework> frameworks;
    private final List<MasterState.Role> roles;
    private final List<MasterState.TaskView> tasks;
    private final Acl acl;
    private final Map<Long, MasterState.Agent> agentsById = new HashMap<>();
    private final Map<Long, MasterState.Framework> frameworksById = new HashMap<>();
    private final Map<String, MasterState.TaskView> tasksByKey = new HashMap<>();
    private final Map<Long, List<MasterState.TaskView>> liveByAgent = new HashMap<>();

    MasterView(final long lastAppliedIndex, final long appliedRecords, final ResourceVectors vectors,
        final List<MasterState.Agent> agents, final List<MasterState.Framework> frameworks,
        final List<MasterState.Role> roles, final List<MasterState.TaskView> tasks, final Acl acl)
    {
        this.acl = acl;
        this.lastAppliedIndex = lastAppliedIndex;
        this.appliedRecords = appliedRecords;
        this.vectors = vectors;
        this.agents = Collections.unmodifiableList(agents);
        this.frameworks = Collections.unmodifiableList(frameworks);
        this.roles = Collections.unmodifiableList(roles);
        this.tasks = Collections.unmodifiableList(tasks);
        agents.forEach(a -> agentsById.put(a.id(), a));
        frameworks.forEach(f -> frameworksById.put(f.id(), f));
        for (final MasterState.TaskView t : tasks)
        {
            tasksByKey.put(MasterState.taskKey(t.frameworkId(), t.taskId()), t);
            if (!MasterState.isTerminal(t.state()))
            {
                liveByAgent.computeIfAbsent(t.agentId(), a -> new ArrayList<>()).add(t);
            }
        }
    }

    /** The view of a master that has applied nothing yet. */
    static MasterView empty(final ResourceVectors vectors)
    {
        return new MasterView(0, 0, vectors, List.of(), List.of(), List.of(), List.of(), Acl.DEFAULT);
    }

    public long lastAppliedIndex()
    {
        return lastAppliedIndex;
    }

    public long appliedRecords()
    {
        return appliedRecords;
    }

    public ResourceVectors vectors()
    {
        return vectors;
    }

    public List<MasterState.Agent> agents()
    {
        return agents;
    }

    public MasterState.Agent agent(final long id)
    {
        return agentsById.get(id);
    }

    public List<MasterState.Framework> frameworks()
    {
        return frameworks;
    }

    public MasterState.Framework framework(final long id)
    {
        return frameworksById.get(id);
    }

    /** The authorization rules as applied here. */
    Acl acl()
    {
        return acl;
    }

    public List<MasterState.Role> roles()
    {
        return roles;
    }

    /** Every task, ordered by framework then task id. */
    public List<MasterState.TaskView> tasks()
    {
        return tasks;
    }

    public MasterState.TaskView task(final long frameworkId, final String taskId)
    {
        return tasksByKey.get(MasterState.taskKey(frameworkId, taskId));
    }

    /** The tasks on this agent that have not ended. */
    public List<MasterState.TaskView> liveTasksOn(final long agentId)
    {
        return liveByAgent.getOrDefault(agentId, List.of());
    }

    /** What the tasks on this agent that have not ended hold, kind by kind (the agent's resource order). */
    public long[] usedOn(final MasterState.Agent agent)
    {
        final long[] used = new long[agent.resources().length];
        for (final MasterState.TaskView t : liveTasksOn(agent.id()))
        {
            for (int k = 0; k < used.length && k < t.resources().length; k++)
            {
                used[k] += t.resources()[k];
            }
        }
        return used;
    }

    public EnumMap<TaskState, Integer> taskCounts()
    {
        final EnumMap<TaskState, Integer> counts = new EnumMap<>(TaskState.class);
        tasks.forEach(t -> counts.merge(t.state(), 1, Integer::sum));
        return counts;
    }
}
