package io.corral.master;

/** What applying a log record did, handed from the Raft apply thread to the master's duty thread. */
public sealed interface MasterEvent
{
    /** Log index of the record that produced this event. */
    long index();

    record AgentAdmitted(long index, MasterState.Agent agent, boolean reregistered) implements MasterEvent
    {
    }

    record AgentRemoved(long index, long agentId) implements MasterEvent
    {
    }

    record FrameworkAdded(long index, MasterState.Framework framework, boolean resubscribed) implements MasterEvent
    {
    }

    record FrameworkRemoved(long index, long frameworkId) implements MasterEvent
    {
    }

    record TaskLaunched(long index, MasterState.Task task) implements MasterEvent
    {
    }

    /** A launch in a committed batch that could not take effect; its resources go back. */
    record LaunchDropped(long index, long frameworkId, long agentId, String taskId, long[] resources, String role,
        String reason)
        implements MasterEvent
    {
    }

    /** What a status update did to its task. */
    enum Outcome
    {
        /** The task moved to a new state. */
        CHANGED,
        /** The same update again (same uuid): the agent has not had its acknowledgement yet. */
        DUPLICATE,
        /** An update that would move a finished task or move it backwards: nothing changes. */
        STALE
    }

    /**
     * One status update as its record carried it: {@code state}, {@code exitCode}, {@code message}
     * and {@code timestampMs} are the update's own, taken when it was applied, never the task's
     * later state (a resent STARTING must go out as STARTING, under its own uuid). {@code task}
     * gives only the fields fixed at launch (ids, agent, role, resources).
     */
    record TaskStateChanged(long index, MasterState.Task task, long uuidMsb, long uuidLsb, Outcome outcome,
        io.corral.codec.sbe.TaskState state, int exitCode, String message, long timestampMs)
        implements MasterEvent
    {
    }

    record RoleConfigured(long index, MasterState.Role role) implements MasterEvent
    {
    }

    /** The authorization rules were replaced. */
    record AclSet(long index, Acl acl) implements MasterEvent
    {
    }

    record BadRecord(long index, String problem) implements MasterEvent
    {
    }
}
