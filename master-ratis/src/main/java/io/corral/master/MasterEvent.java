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
    final class TaskStateChanged implements MasterEvent
    {
        private long index;
        private MasterState.Task task;
        private long uuidMsb;
        private long uuidLsb;
        private Outcome outcome;
        private io.corral.codec.sbe.TaskState state;
        private int exitCode;
        private String message;
        private long timestampMs;

        TaskStateChanged(final long index, final MasterState.Task task, final long uuidMsb, final long uuidLsb,
            final Outcome outcome, final io.corral.codec.sbe.TaskState state, final int exitCode, final String message,
            final long timestampMs)
        {
            set(index, task, uuidMsb, uuidLsb, outcome, state, exitCode, message, timestampMs);
        }

        /**
         * Reused for another change (the duty thread applies into a pool of these: one object per
         * status update otherwise, the last allocation on the leader's status path). An event is
         * read before the next entry is applied; one kept longer is {@link #copy}'d.
         */
        TaskStateChanged set(final long index, final MasterState.Task task, final long uuidMsb, final long uuidLsb,
            final Outcome outcome, final io.corral.codec.sbe.TaskState state, final int exitCode, final String message,
            final long timestampMs)
        {
            this.index = index;
            this.task = task;
            this.uuidMsb = uuidMsb;
            this.uuidLsb = uuidLsb;
            this.outcome = outcome;
            this.state = state;
            this.exitCode = exitCode;
            this.message = message;
            this.timestampMs = timestampMs;
            return this;
        }

        TaskStateChanged copy()
        {
            return new TaskStateChanged(index, task, uuidMsb, uuidLsb, outcome, state, exitCode, message, timestampMs);
        }

        @Override
        public long index()
        {
            return index;
        }

        public MasterState.Task task()
        {
            return task;
        }

        public long uuidMsb()
        {
            return uuidMsb;
        }

        public long uuidLsb()
        {
            return uuidLsb;
        }

        public Outcome outcome()
        {
            return outcome;
        }

        public io.corral.codec.sbe.TaskState state()
        {
            return state;
        }

        public int exitCode()
        {
            return exitCode;
        }

        public String message()
        {
            return message;
        }

        public long timestampMs()
        {
            return timestampMs;
        }

        @Override
        public String toString()
        {
            return "TaskStateChanged[" + index + " " + task.frameworkId + "/" + task.taskId + " " + state + " " +
                outcome + "]";
        }
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
