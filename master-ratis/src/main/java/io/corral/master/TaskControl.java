package io.corral.master;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiPredicate;

import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.TaskState;
import io.corral.codec.sbe.TaskStatesChangedDecoder;
import org.agrona.DirectBuffer;
import io.corral.codec.sbe.TasksLaunchedDecoder;

/**
 * Tasks and their latest states in the replicated state (see {@link AgentControl}): commands
 * check a launch or a status update and write the batch records; the replay methods are the only
 * writers of the tasks, the live tasks by agent and the counts by state. Owned by the duty thread.
 */
final class TaskControl
{
    /** An accepted launch waiting for the cycle's {@code TasksLaunched} record. */
    record Launch(long frameworkId, long agentId, long[] resources, String taskId, String command, long[] options,
        String env, String healthCommand, String role)
    {
    }

    /** A status update waiting for the cycle's {@code TaskStatesChanged} record. */
    /**
     * One status update on its way to the log. Mutable so that the leader's status path can reuse
     * them (one per update otherwise: the largest allocation per status update); owned by the duty
     * thread, never kept past the cycle that proposes it.
     */
    static final class Update
    {
        private long frameworkId;
        private long agentId;
        private long uuidMsb;
        private long uuidLsb;
        private TaskState state;
        private int exitCode;
        private long timestampMs;
        private String taskId;
        private String message;
        /** {@code taskId} as UTF-8 when the task's own copy is at hand (else the record encodes the String). */
        private DirectBuffer taskIdUtf8;

        Update(final long frameworkId, final long agentId, final long uuidMsb, final long uuidLsb, final TaskState state,
            final int exitCode, final long timestampMs, final String taskId, final String message)
        {
            set(frameworkId, agentId, uuidMsb, uuidLsb, state, exitCode, timestampMs, taskId, message);
        }

        Update set(final long frameworkId, final long agentId, final long uuidMsb, final long uuidLsb,
            final TaskState state, final int exitCode, final long timestampMs, final String taskId, final String message)
        {
            this.frameworkId = frameworkId;
            this.agentId = agentId;
            this.uuidMsb = uuidMsb;
            this.uuidLsb = uuidLsb;
            this.state = state;
            this.exitCode = exitCode;
            this.timestampMs = timestampMs;
            this.taskId = taskId;
            this.message = message;
            this.taskIdUtf8 = null;
            return this;
        }

        /** The task's id bytes, written into the record as they are (no encoding per update). */
        Update idBytes(final DirectBuffer utf8)
        {
            this.taskIdUtf8 = utf8;
            return this;
        }

        DirectBuffer taskIdUtf8()
        {
            return taskIdUtf8;
        }

        long frameworkId()
        {
            return frameworkId;
        }

        long agentId()
        {
            return agentId;
        }

        long uuidMsb()
        {
            return uuidMsb;
        }

        long uuidLsb()
        {
            return uuidLsb;
        }

        TaskState state()
        {
            return state;
        }

        int exitCode()
        {
            return exitCode;
        }

        long timestampMs()
        {
            return timestampMs;
        }

        String taskId()
        {
            return taskId;
        }

        String message()
        {
            return message;
        }

        @Override
        public String toString()
        {
            return "Update[" + frameworkId + "/" + taskId + " " + state + " from agent " + agentId + "]";
        }
    }

    /**
     * Finished tasks kept per framework (Mesos's {@code --max_completed_tasks_per_framework}
     * default): beyond it the oldest finished one is dropped from the state. Part of the
     * replicated semantics, so every master must use the same figure.
     */
    static final int MAX_COMPLETED_PER_FRAMEWORK = io.corral.codec.Protocol.MAX_COMPLETED_TASKS_PER_FRAMEWORK;

    /** A finished task, ordered by when it finished (the record's time), then id: the same on every master. */
    private record Completed(long atMs, String taskId) implements Comparable<Completed>
    {
        @Override
        public int compareTo(final Completed o)
        {
            final int byTime = Long.compare(atMs, o.atMs);
            return byTime != 0 ? byTime : taskId.compareTo(o.taskId);
        }
    }

    private final ResourceVectors vectors;
    private final TreeMap<String, MasterState.Task> tasks = new TreeMap<>();
    /**
     * How the newest finished tasks dropped from the history ended ("framework/task" -> state),
     * so that reconciling one answers how it ended rather than LOST (a framework that asked
     * while the answer was on its way was told FINISHED, then LOST). Filled as records apply, so
     * the same on every master; not in snapshots (a master restored from one answers LOST again
     * for tasks dropped before it).
     */
    private final java.util.LinkedHashMap<String, TaskState> forgotten = new java.util.LinkedHashMap<>(1024, 0.75f, false)
    {
        @Override
        protected boolean removeEldestEntry(final java.util.Map.Entry<String, TaskState> eldest)
        {
            return size() > FORGOTTEN_REMEMBERED;
        }
    };
    static final int FORGOTTEN_REMEMBERED = 50_000;

    /** The same tasks by framework and id bytes: what status updates are looked up by. */
    private final TaskIndex byIdBytes = new TaskIndex();
    /** A view of a record's task id (replay, owner thread). */
    private final org.agrona.concurrent.UnsafeBuffer idView = new org.agrona.concurrent.UnsafeBuffer(0, 0);
    private final org.agrona.collections.Long2ObjectHashMap<TreeSet<Completed>> completedByFramework =
        new org.agrona.collections.Long2ObjectHashMap<>();
    /** Keys of the tasks that have not ended, by agent: derived from {@code tasks}, kept in step by replay. */
    private final TreeMap<Long, TreeSet<String>> liveByAgent = new TreeMap<>();
    private final int[] countByState = new int[TaskState.values().length];
    /** The same tasks by framework, then task id: looked up without building a key (every update). */
    private final org.agrona.collections.Long2ObjectHashMap<java.util.HashMap<String, MasterState.Task>> byFramework =
        new org.agrona.collections.Long2ObjectHashMap<>();

    TaskControl(final ResourceVectors vectors)
    {
        this.vectors = vectors;
    }

    // ------------------------------------------------------------------ commands

    /**
     * Why a task of an accept cannot launch on what is {@code left} of its offers, or null.
     * {@code taken} says whether a task id is already used by an accepted, uncommitted launch.
     */
    String launchProblem(final long frameworkId, final String taskId, final String command, final long[] asked,
        final long[] left, final long[] options, final String healthCommand, final Set<String> inBatch,
        final BiPredicate<Long, String> taken)
    {
        if (taskId.isBlank())
        {
            return "task id is empty";
        }
        if (inBatch.contains(taskId) || get(frameworkId, taskId) != null || taken.test(frameworkId, taskId))
        {
            return "task id '" + taskId + "' is already in use by this framework";
        }
        if (command.isBlank())
        {
            return "task '" + taskId + "' has an empty command";
        }
        boolean any = false;
        final io.corral.allocator.ResourceKinds kinds = vectors.kinds();
        for (int i = 0; i < asked.length; i++)
        {
            if (asked[i] < 0)
            {
                return "task '" + taskId + "' asks for negative " + kinds.name(i);
            }
            if (asked[i] > left[i])
            {
                return "task '" + taskId + "' asks for " + kinds.name(i) + " " + kinds.formatValue(i, asked[i]) +
                    " but the offer has only " + kinds.formatValue(i, left[i]) + " left";
            }
            any |= asked[i] > 0;
        }
        if (!any)
        {
            return "task '" + taskId + "' asks for no resources";
        }
        if (options[0] < 0 || options[1] < 0 || options[2] < 0 || options[3] < 0 ||
            options[1] > 0 && (healthCommand.isBlank() || options[2] <= 0 || options[3] <= 0))
        {
            return "task '" + taskId + "' has an invalid kill grace or health check (interval, timeout and " +
                "failures must be positive, with a command)";
        }
        return null;
    }

    /** The record of one cycle's accepted launches, all launched at {@code nowMs}. */
    Result launch(final List<Launch> batch, final long nowMs, final RecordWriter records)
    {
        return Result.propose(records.tasksLaunched(batch, nowMs));
    }

    /** An agent's status update: refused (UNKNOWN_TASK) for a task the state does not hold. */
    Result checkUpdate(final long agentId, final long frameworkId, final String taskId)
    {
        return checkUpdate(agentId, frameworkId, taskId, get(frameworkId, taskId));
    }

    /** As {@link #checkUpdate(long, long, String)}, for {@code task}, already looked up (may be null). */
    Result checkUpdate(final long agentId, final long frameworkId, final String taskId, final MasterState.Task task)
    {
        if (task == null)
        {
            return Result.refused(ErrorCode.UNKNOWN_TASK, "task " + frameworkId + "/" + taskId + " is unknown");
        }
        // An agent reports only its own tasks: one agent's word never ends a task on another.
        return task.agentId == agentId ? Result.UNCHANGED : Result.refused(ErrorCode.NOT_PERMITTED, "task " +
            frameworkId + "/" + taskId + " runs on agent " + task.agentId + ", not on agent " + agentId +
            ": an agent may report only its own tasks");
    }

    /** The record of one cycle's status updates. */
    Result update(final List<Update> batch, final RecordWriter records)
    {
        return Result.propose(records.taskStatesChanged(batch));
    }

    // ------------------------------------------------------------------ replay (the only writers)

    void replayLaunched(final TasksLaunchedDecoder r, final long index, final AgentControl agents,
        final FrameworkControl frameworks, final List<MasterEvent> events)
    {
        for (final TasksLaunchedDecoder.TasksDecoder t : r.tasks())
        {
            final long frameworkId = t.frameworkId();
            final long agentId = t.agentId();
            final long at = t.timestampMs();
            final long[] options = MasterState.options(t.options());
            final String taskId = t.taskId();
            final String command = t.command();
            final String env = t.env();
            final String healthCommand = t.healthCommand();
            final String role = t.role();
            final long[] res = vectors.readCommitted(t.resources(), t.customResources(), 0);
            final String key = MasterState.taskKey(frameworkId, taskId);
            if (tasks.containsKey(key) || !agents.contains(agentId) || !frameworks.contains(frameworkId))
            {
                events.add(new MasterEvent.LaunchDropped(index, frameworkId, agentId, taskId, res, role,
                    tasks.containsKey(key) ? "task id " + taskId + " is already in use" : "agent or framework is gone"));
                continue;
            }
            final MasterState.Task task = new MasterState.Task(frameworkId, agentId, taskId, command, res, at, options,
                env, healthCommand, role);
            task.principal = frameworks.get(frameworkId).principal();
            tasks.put(key, task);
            byIdBytes.put(task);
            byFramework.computeIfAbsent(frameworkId, f -> new java.util.HashMap<>()).put(taskId, task);
            countByState[task.state.ordinal()]++;
            liveByAgent.computeIfAbsent(agentId, a -> new TreeSet<>()).add(key);
            if (MasterState.wanted(events))
            {
                events.add(new MasterEvent.TaskLaunched(index, task));
            }
        }
    }

    void replayStates(final TaskStatesChangedDecoder r, final long index, final List<MasterEvent> events)
    {
        for (final TaskStatesChangedDecoder.ChangesDecoder c : r.changes())
        {
            final long frameworkId = c.frameworkId();
            final long msb = c.uuidMsb();
            final long lsb = c.uuidLsb();
            final TaskState state = c.state();
            final int exitCode = c.exitCode();
            final long at = c.timestampMs();
            c.wrapTaskId(idView); // looked up by its bytes: no String per change
            final MasterState.Task task = get(frameworkId, idView, 0, idView.capacity());
            final String message = c.message();
            if (task == null || task.agentId != c.agentId())
            {
                continue; // (the leader refuses another agent's word on a task; a log written otherwise is not trusted)
            }
            final boolean duplicate = (msb != 0 || lsb != 0) && task.lastUuidMsb == msb && task.lastUuidLsb == lsb;
            if (duplicate || MasterState.isTerminal(task.state) || state.value() < task.state.value() &&
                !MasterState.isTerminal(state))
            {
                // Already applied, or would move the task backwards: nothing changes.
                if (MasterState.wanted(events))
                {
                    events.add(changed(index, task, msb, lsb,
                        duplicate ? MasterEvent.Outcome.DUPLICATE : MasterEvent.Outcome.STALE, state, exitCode, message,
                        at));
                }
                continue;
            }
            move(task, state, exitCode, message, at);
            task.lastUuidMsb = msb;
            task.lastUuidLsb = lsb;
            if (MasterState.wanted(events))
            {
                events.add(changed(index, task, msb, lsb, MasterEvent.Outcome.CHANGED, state,
                    exitCode, message, at));
            }
        }
    }

    private final List<MasterEvent.TaskStateChanged> changePool = new ArrayList<>();
    private int changesUsed = -1;

    /**
     * The entry applied next is read before the one after it ({@code true}: the duty thread's
     * way): its state changes may come from a pool reused entry after entry.
     */
    void beginEntry(final boolean eventsReadAtOnce)
    {
        changesUsed = eventsReadAtOnce ? 0 : -1;
    }

    private MasterEvent.TaskStateChanged changed(final long index, final MasterState.Task task, final long msb,
        final long lsb, final MasterEvent.Outcome outcome, final TaskState state, final int exitCode,
        final String message, final long at)
    {
        if (changesUsed < 0)
        {
            return new MasterEvent.TaskStateChanged(index, task, msb, lsb, outcome, state, exitCode, message, at);
        }
        if (changesUsed < changePool.size())
        {
            return changePool.get(changesUsed++).set(index, task, msb, lsb, outcome, state, exitCode, message, at);
        }
        final MasterEvent.TaskStateChanged grown =
            new MasterEvent.TaskStateChanged(index, task, msb, lsb, outcome, state, exitCode, message, at);
        changePool.add(grown);
        changesUsed++;
        return grown;
    }

    /** An agent was removed: each of its tasks that had not ended is LOST. */
    void replayAgentRemoved(final long agentId, final long atMs, final long index, final List<MasterEvent> events)
    {
        final TreeSet<String> live = liveByAgent.remove(agentId);
        if (live == null)
        {
            return;
        }
        final String message = "agent " + agentId + " was removed";
        for (final String key : new ArrayList<>(live))
        {
            final MasterState.Task task = tasks.get(key);
            move(task, TaskState.LOST, 0, message, atMs);
            events.add(new MasterEvent.TaskStateChanged(index, task, 0, 0, MasterEvent.Outcome.CHANGED, TaskState.LOST,
                0, message, atMs));
        }
    }

    private void move(final MasterState.Task task, final TaskState state, final int exitCode, final String message,
        final long atMs)
    {
        countByState[task.state.ordinal()]--;
        countByState[state.ordinal()]++;
        task.state = state;
        task.exitCode = exitCode;
        task.message = message;
        task.updatedAtMs = atMs;
        if (MasterState.isTerminal(state))
        {
            final TreeSet<String> live = liveByAgent.get(task.agentId);
            if (live != null && live.remove(MasterState.taskKey(task.frameworkId, task.taskId)) && live.isEmpty())
            {
                liveByAgent.remove(task.agentId);
            }
            final TreeSet<Completed> completed = completedByFramework.computeIfAbsent(task.frameworkId,
                f -> new TreeSet<>());
            completed.add(new Completed(atMs, task.taskId));
            if (completed.size() > MAX_COMPLETED_PER_FRAMEWORK)
            {
                forget(task.frameworkId, completed.pollFirst().taskId());
            }
        }
    }

    /** Drops a finished task from the state (its id may be used again). */
    private void forget(final long frameworkId, final String taskId)
    {
        final MasterState.Task gone = tasks.remove(MasterState.taskKey(frameworkId, taskId));
        final java.util.HashMap<String, MasterState.Task> ofFramework = byFramework.get(frameworkId);
        if (ofFramework != null)
        {
            ofFramework.remove(taskId);
        }
        if (gone != null)
        {
            countByState[gone.state.ordinal()]--;
            byIdBytes.remove(gone);
            forgotten.put(MasterState.taskKey(frameworkId, taskId), gone.state);
        }
    }

    void clear()
    {
        completedByFramework.clear();
        tasks.clear();
        byIdBytes.clear();
        forgotten.clear();
        byFramework.clear();
        liveByAgent.clear();
        java.util.Arrays.fill(countByState, 0);
    }

    // ------------------------------------------------------------------ reads (owner thread)

    /** The task whose id is the {@code length} UTF-8 bytes at {@code offset} of {@code id} (no String made). */
    MasterState.Task get(final long frameworkId, final DirectBuffer id, final int offset, final int length)
    {
        return byIdBytes.get(frameworkId, id, offset, length);
    }

    /** How a finished task that was dropped from the history ended; null if not remembered. */
    TaskState forgotten(final long frameworkId, final String taskId)
    {
        return forgotten.get(MasterState.taskKey(frameworkId, taskId));
    }

    MasterState.Task get(final long frameworkId, final String taskId)
    {
        final java.util.HashMap<String, MasterState.Task> ofFramework = byFramework.get(frameworkId);
        return ofFramework == null ? null : ofFramework.get(taskId);
    }

    int count()
    {
        return tasks.size();
    }

    /** In key order. */
    List<MasterState.Task> all()
    {
        return new ArrayList<>(tasks.values());
    }

    Iterable<MasterState.Task> each()
    {
        return tasks.values();
    }

    /** The tasks on this agent that have not ended. */
    List<MasterState.Task> liveOn(final long agentId)
    {
        final TreeSet<String> live = liveByAgent.get(agentId);
        final List<MasterState.Task> out = new ArrayList<>(live == null ? 0 : live.size());
        if (live != null)
        {
            live.forEach(key -> out.add(tasks.get(key)));
        }
        return out;
    }

    /** Kept as the tasks change: no walk over every task. */
    EnumMap<TaskState, Integer> counts()
    {
        final EnumMap<TaskState, Integer> counts = new EnumMap<>(TaskState.class);
        for (final TaskState s : TaskState.values())
        {
            if (countByState[s.ordinal()] > 0)
            {
                counts.put(s, countByState[s.ordinal()]);
            }
        }
        return counts;
    }
}
