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
    record LaunchDropped(long index, long frameworkId, long agentId, String taskId, long[] resources, String reason)
        implements MasterEvent
    {
    }

    /** A task's state changed ({@code unchanged}: a duplicate or stale update that still needs its ack). */
    record TaskStateChanged(long index, MasterState.Task task, long uuidMsb, long uuidLsb, boolean unchanged)
        implements MasterEvent
    {
    }

    record BadRecord(long index, String problem) implements MasterEvent
    {
    }
}
