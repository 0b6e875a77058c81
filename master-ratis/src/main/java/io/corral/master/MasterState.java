package io.corral.master;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.corral.codec.FrameCheck;
import io.corral.codec.sbe.AgentAdmittedDecoder;
import io.corral.codec.sbe.AgentRemovedDecoder;
import io.corral.codec.sbe.FrameworkAddedDecoder;
import io.corral.codec.sbe.FrameworkRemovedDecoder;
import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.RecordBatchDecoder;
import io.corral.codec.sbe.RoleConfiguredDecoder;
import io.corral.codec.sbe.TaskState;
import io.corral.codec.sbe.TaskStatesChangedDecoder;
import io.corral.codec.sbe.TasksLaunchedDecoder;
import org.agrona.DirectBuffer;

/**
 * The replicated state of the cluster: agents, frameworks and tasks with their latest states.
 * Only {@link #apply} changes it, from SBE log records, as a dispatch over the Controls that own
 * each part ({@link AgentControl}, {@link FrameworkControl}, {@link TaskControl},
 * {@link RoleControl}); the Controls' commands make the records; applying is deterministic (no clock, no
 * randomness, sorted maps), so every master that applies the same log holds the same state.
 * Each applied record yields {@link MasterEvent}s for the leader's duties.
 *
 * <p>One owner: only the master's duty thread reads or writes it (see {@link MasterStateMachine});
 * other threads read a {@link MasterView} it builds. Nothing here locks.
 */
public final class MasterState
{
    /** An agent admitted to the cluster. */
    /**
     * An admitted agent. {@code secretHash}: SHA-256 (hex) of the secret the agent registered with,
     * which a registration claiming this id again must present; empty for an agent admitted by an
     * older master.
     */
    public record Agent(long id, String hostname, String endpoint, long[] resources, long admittedAtMs,
        String attributes, String httpEndpoint, String secretHash)
    {
        /** The attributes ({@code rack:r1;zone:a}) as a sorted map. */
        public java.util.Map<String, String> attributeMap()
        {
            final java.util.Map<String, String> out = new java.util.TreeMap<>();
            for (final String part : attributes.split(";"))
            {
                final int colon = part.indexOf(':');
                if (colon > 0)
                {
                    out.put(part.substring(0, colon).trim(), part.substring(colon + 1).trim());
                }
            }
            return out;
        }
    }

    /** A framework subscribed to the cluster. */
    public record Framework(long id, String name, String role, String endpoint, long addedAtMs, long failoverTimeoutMs,
        String principal)
    {
    }

    /** A role's weight and quota (limit {@code Long.MAX_VALUE}: no limit for that kind). */
    public record Role(String name, double weight, long[] guarantee, long[] limit)
    {
    }

    /** A task and its latest known state. */
    public static final class Task
    {
        public final long frameworkId;
        public final long agentId;
        public final String taskId;
        /** {@code taskId} as UTF-8, encoded once: every update forwarded for the task sends it. */
        final org.agrona.concurrent.UnsafeBuffer taskIdUtf8;
        public final String command;
        public final long[] resources;
        public final long launchedAtMs;
        /** killGraceMs, healthIntervalMs, healthTimeoutMs, healthMaxFailures. */
        public final long[] options;
        public final String env;
        public final String healthCommand;
        /** The role whose resources the task uses (the role of the offer it was launched from). */
        public final String role;
        /**
         * Its framework's principal when it launched (set as the launch applies, from the framework's
         * record): who owns its sandbox once the framework is gone, as Mesos keeps completed frameworks.
         */
        public String principal = "";
        public TaskState state = TaskState.STAGING;
        public int exitCode;
        public String message = "";
        public long updatedAtMs;
        public long lastUuidMsb;
        public long lastUuidLsb;

        Task(final long frameworkId, final long agentId, final String taskId, final String command,
            final long[] resources, final long launchedAtMs, final long[] options, final String env,
            final String healthCommand, final String role)
        {
            this.role = role;
            this.options = options;
            this.env = env;
            this.healthCommand = healthCommand;
            this.frameworkId = frameworkId;
            this.agentId = agentId;
            this.taskId = taskId;
            this.taskIdUtf8 = new org.agrona.concurrent.UnsafeBuffer(taskId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            this.command = command;
            this.resources = resources;
            this.launchedAtMs = launchedAtMs;
            this.updatedAtMs = launchedAtMs;
        }
    }

    private final ResourceVectors vectors;
    private final AgentControl agents;
    private final FrameworkControl frameworks = new FrameworkControl();
    private final TaskControl tasks;
    private final RoleControl roles;
    private long lastAppliedIndex;
    private long appliedRecords;

    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final org.agrona.concurrent.UnsafeBuffer record = new org.agrona.concurrent.UnsafeBuffer(0, 0);
    private final AgentAdmittedDecoder agentAdmitted = new AgentAdmittedDecoder();
    private final AgentRemovedDecoder agentRemoved = new AgentRemovedDecoder();
    private final FrameworkAddedDecoder frameworkAdded = new FrameworkAddedDecoder();
    private final FrameworkRemovedDecoder frameworkRemoved = new FrameworkRemovedDecoder();
    private final TasksLaunchedDecoder tasksLaunched = new TasksLaunchedDecoder();
    private final TaskStatesChangedDecoder statesChanged = new TaskStatesChangedDecoder();
    private final RoleConfiguredDecoder roleConfigured = new RoleConfiguredDecoder();
    private final io.corral.codec.sbe.AclSetDecoder aclSet = new io.corral.codec.sbe.AclSetDecoder();
    /** Who may do what (replaced whole by an AclSet record; immutable, so views share it). */
    private Acl acl = Acl.DEFAULT;

    /** The principals that may do everything whatever the rules say (the master's --operators; not replicated). */
    public void operators(final java.util.Set<String> operators)
    {
        acl = acl.withOperators(operators);
    }
    private final RecordBatchDecoder batch = new RecordBatchDecoder();
    /** The batch's own bytes (each inner record is wrapped in {@code record} while the batch is walked). */
    private final org.agrona.concurrent.UnsafeBuffer batchBytes = new org.agrona.concurrent.UnsafeBuffer(0, 0);

    /** A state whose resource vectors have the standard kinds only. */
    public MasterState()
    {
        this(ResourceVectors.standard());
    }

    public MasterState(final ResourceVectors vectors)
    {
        this.vectors = vectors;
        this.agents = new AgentControl(vectors);
        this.tasks = new TaskControl(vectors);
        this.roles = new RoleControl(vectors);
    }

    public ResourceVectors vectors()
    {
        return vectors;
    }

    AgentControl agentControl()
    {
        return agents;
    }

    FrameworkControl frameworkControl()
    {
        return frameworks;
    }

    TaskControl taskControl()
    {
        return tasks;
    }

    Acl acl()
    {
        return acl;
    }

    RoleControl roleControl()
    {
        return roles;
    }

    public static String taskKey(final long frameworkId, final String taskId)
    {
        return frameworkId + "/" + taskId;
    }

    public static boolean isTerminal(final TaskState state)
    {
        return state == TaskState.FINISHED || state == TaskState.FAILED || state == TaskState.KILLED ||
            state == TaskState.LOST || state == TaskState.ERROR;
    }

    static long[] options(final io.corral.codec.sbe.TaskOptionsDecoder o)
    {
        return new long[] { o.killGraceMs(), o.healthIntervalMs(), o.healthTimeoutMs(), o.healthMaxFailures() };
    }

    /**
     * Applies one log entry at {@code index} (a record, or a {@code RecordBatch} of them): a dispatch
     * to the Control that owns each part of the state. Returns what happened for the leader to act on. A record that does not decode is
     * skipped with an event saying so: an exception here would stop the Raft server.
     */
    public List<MasterEvent> apply(final DirectBuffer buffer, final int offset, final int length, final long index)
    {
        final List<MasterEvent> events = new ArrayList<>(2);
        applyTo(buffer, offset, length, index, events, false);
        return events;
    }

    /**
     * Where a master that is not leading applies to: nothing acts on what a record did, so
     * nothing is kept (and the per-task events are not even made: {@link #wanted}).
     */
    static final List<MasterEvent> NO_EVENTS = new java.util.AbstractList<>()
    {
        @Override
        public boolean add(final MasterEvent event)
        {
            return false;
        }

        @Override
        public MasterEvent get(final int index)
        {
            throw new IndexOutOfBoundsException(index);
        }

        @Override
        public int size()
        {
            return 0;
        }
    };

    /** False for {@link #NO_EVENTS}: a per-task event need not be made. */
    static boolean wanted(final List<MasterEvent> events)
    {
        return events != NO_EVENTS;
    }

    /**
     * As {@link #apply}, adding what happened to {@code events} (a list the caller reuses, or
     * {@link #NO_EVENTS}): the duty thread's way, with no list per entry. {@code readAtOnce}: the
     * events are read before the next entry is applied, so task state changes may be reused
     * objects (see {@link MasterEvent.TaskStateChanged#set}).
     */
    void applyTo(final DirectBuffer buffer, final int offset, final int length, final long index,
        final List<MasterEvent> events, final boolean readAtOnce)
    {
        tasks.beginEntry(readAtOnce);
        lastAppliedIndex = index;
        final String problem = FrameCheck.problem(header, buffer, offset, length);
        if (problem != null)
        {
            events.add(new MasterEvent.BadRecord(index, problem));
            return;
        }
        if (header.templateId() == RecordBatchDecoder.TEMPLATE_ID)
        {
            applyBatch(buffer, offset, length, index, events);
        }
        else
        {
            applyOne(buffer, offset, length, index, events);
        }
    }

    /**
     * A {@code RecordBatch} entry: each record in it applied in order, as if each were its own entry
     * at the same index. A bad inner record is reported and skipped; the others still apply (each
     * was checked on its own when proposed). A batch inside a batch is a bad record.
     */
    private void applyBatch(final DirectBuffer buffer, final int offset, final int length, final long index,
        final List<MasterEvent> events)
    {
        batchBytes.wrap(buffer, offset, length);
        if (!fits(batch.wrap(batchBytes, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version()),
            length, index, events))
        {
            return;
        }
        batch.sbeRewind();
        for (final RecordBatchDecoder.RecordsDecoder each : batch.records())
        {
            final int at = batch.limit() + RecordBatchDecoder.RecordsDecoder.recordHeaderLength();
            final int recordLength = each.recordLength();
            each.skipRecord();
            final String problem = FrameCheck.problem(header, batchBytes, at, recordLength);
            if (problem != null)
            {
                events.add(new MasterEvent.BadRecord(index, problem));
            }
            else if (header.templateId() == RecordBatchDecoder.TEMPLATE_ID)
            {
                events.add(new MasterEvent.BadRecord(index, "a record batch inside a record batch"));
            }
            else
            {
                applyOne(batchBytes, at, recordLength, index, events);
            }
        }
    }

    /**
     * One record whose header {@link FrameCheck} has passed (and left in {@code header}). A record
     * whose fields still do not decode (an enum value no version has, a length SBE reads as
     * negative) is a BadRecord, never an exception: the same bytes fail the same way on every master.
     */
    private void applyOne(final DirectBuffer buffer, final int offset, final int length, final long index,
        final List<MasterEvent> events)
    {
        try
        {
            decodeAndReplay(buffer, offset, length, index, events);
        }
        catch (final RuntimeException ex)
        {
            events.add(new MasterEvent.BadRecord(index, "record template " + header.templateId() +
                " does not decode: " + ex));
        }
    }

    private void decodeAndReplay(final DirectBuffer buffer, final int offset, final int length, final long index,
        final List<MasterEvent> events)
    {
        // Decoders see exactly the record's bytes: no length in it can reach past its end.
        record.wrap(buffer, offset, length);
        final int body = MessageHeaderDecoder.ENCODED_LENGTH;
        final int block = header.blockLength();
        final int version = header.version();
        appliedRecords++;
        switch (header.templateId())
        {
            case AgentAdmittedDecoder.TEMPLATE_ID ->
            {
                if (fits(agentAdmitted.wrap(record, body, block, version), length, index, events))
                {
                    events.add(agents.replay(agentAdmitted, index));
                }
            }
            case AgentRemovedDecoder.TEMPLATE_ID ->
            {
                if (fits(agentRemoved.wrap(record, body, block, version), length, index, events) &&
                    agents.replayRemoved(agentRemoved.agentId()))
                {
                    tasks.replayAgentRemoved(agentRemoved.agentId(), agentRemoved.timestampMs(), index, events);
                    events.add(new MasterEvent.AgentRemoved(index, agentRemoved.agentId()));
                }
            }
            case FrameworkAddedDecoder.TEMPLATE_ID ->
            {
                if (fits(frameworkAdded.wrap(record, body, block, version), length, index, events))
                {
                    events.add(frameworks.replay(frameworkAdded, index));
                }
            }
            case FrameworkRemovedDecoder.TEMPLATE_ID ->
            {
                if (fits(frameworkRemoved.wrap(record, body, block, version), length, index, events) &&
                    frameworks.replayRemoved(frameworkRemoved.frameworkId()))
                {
                    events.add(new MasterEvent.FrameworkRemoved(index, frameworkRemoved.frameworkId()));
                }
            }
            case TasksLaunchedDecoder.TEMPLATE_ID ->
            {
                if (fits(tasksLaunched.wrap(record, body, block, version), length, index, events))
                {
                    tasks.replayLaunched(tasksLaunched, index, agents, frameworks, events);
                }
            }
            case TaskStatesChangedDecoder.TEMPLATE_ID ->
            {
                if (fits(statesChanged.wrap(record, body, block, version), length, index, events))
                {
                    tasks.replayStates(statesChanged, index, events);
                }
            }
            case RoleConfiguredDecoder.TEMPLATE_ID ->
            {
                if (fits(roleConfigured.wrap(record, body, block, version), length, index, events))
                {
                    events.add(roles.replay(roleConfigured, index));
                }
            }
            case io.corral.codec.sbe.AclSetDecoder.TEMPLATE_ID ->
            {
                if (fits(aclSet.wrap(record, body, block, version), length, index, events))
                {
                    try
                    {
                        acl = Acl.parse(aclSet.rules()).withOperators(acl.operators());
                        events.add(new MasterEvent.AclSet(index, acl));
                    }
                    catch (final IllegalArgumentException ex)
                    {
                        // The leader parsed these rules before proposing them: the record is damaged.
                        events.add(new MasterEvent.BadRecord(index, "ACL record: " + ex.getMessage()));
                    }
                }
            }
            default -> events.add(new MasterEvent.BadRecord(index, "unknown record template " + header.templateId()));
        }
    }

    /** True if every length in the wrapped record stays inside it; else records a BadRecord. */
    private static boolean fits(final org.agrona.sbe.MessageDecoderFlyweight decoder, final int length,
        final long index, final List<MasterEvent> events)
    {
        try
        {
            final int decoded = decoder.sbeDecodedLength();
            if (decoded >= 0 && MessageHeaderDecoder.ENCODED_LENGTH + decoded <= length)
            {
                return true;
            }
        }
        catch (final IndexOutOfBoundsException ex)
        {
            // a length points past the end: reported below
        }
        events.add(new MasterEvent.BadRecord(index, "record template " + decoder.sbeTemplateId() + " has a length " +
            "that points past its " + length + " bytes"));
        return false;
    }

    // ------------------------------------------------------------------ snapshots

    /** The whole state as log records ({@link SnapshotCodec#write}): equal states give equal bytes. */
    public byte[] snapshotBytes()
    {
        return SnapshotCodec.write(this);
    }

    /**
     * Replaces this state with the one in {@code bytes} (from {@link #snapshotBytes}), applying each
     * record through {@link #apply}, as of log index {@code index}.
     */
    public void restore(final byte[] bytes, final long index)
    {
        agents.clear();
        frameworks.clear();
        tasks.clear();
        roles.clear();
        acl = Acl.DEFAULT.withOperators(acl.operators());
        SnapshotCodec.read(bytes, (buffer, offset, length) ->
        {
            for (final MasterEvent event : apply(buffer, offset, length, index))
            {
                if (event instanceof MasterEvent.BadRecord bad)
                {
                    throw new IllegalStateException("snapshot holds a bad record: " + bad.problem());
                }
            }
        });
        lastAppliedIndex = index;
    }

    // ------------------------------------------------------------------ reads (owner thread)

    public int agentCount()
    {
        return agents.count();
    }

    public int frameworkCount()
    {
        return frameworks.count();
    }

    public int taskCount()
    {
        return tasks.count();
    }

    /** An immutable copy of the whole state, for other threads (built by the owner). */
    public MasterView view()
    {
        return new MasterView(lastAppliedIndex, appliedRecords, vectors, agents(), frameworks(), roles(), tasks(), acl);
    }

    /**
     * The entry at {@code index} is Raft's own (a new term's first entry, a configuration change),
     * not a record: the applied index moves past it and nothing else changes. A new leader that
     * waits to have applied up to the commit index it took office at would otherwise wait for a
     * record, when the last committed entries are those.
     */
    void passed(final long index)
    {
        if (index > lastAppliedIndex)
        {
            lastAppliedIndex = index;
        }
    }

    public long lastAppliedIndex()
    {
        return lastAppliedIndex;
    }

    public long appliedRecords()
    {
        return appliedRecords;
    }

    public List<Agent> agents()
    {
        return agents.all();
    }

    public Agent agent(final long id)
    {
        return agents.get(id);
    }

    public List<Role> roles()
    {
        return roles.all();
    }

    public List<Framework> frameworks()
    {
        return frameworks.all();
    }

    public Framework framework(final long id)
    {
        return frameworks.get(id);
    }

    public Task task(final long frameworkId, final String taskId)
    {
        return tasks.get(frameworkId, taskId);
    }

    /** How many tasks are in each state (kept as tasks change: no walk over every task). */
    public java.util.EnumMap<TaskState, Integer> taskCounts()
    {
        return tasks.counts();
    }

    /** Copies of the tasks on this agent that have not ended (found without walking every task). */
    public List<TaskView> liveTasksOn(final long agentId)
    {
        final List<Task> live = tasks.liveOn(agentId);
        final List<TaskView> out = new ArrayList<>(live.size());
        live.forEach(t -> out.add(view(t)));
        return out;
    }

    /** Copies of every task's fields, safe to read on another thread. */
    public List<TaskView> tasks()
    {
        final List<TaskView> out = new ArrayList<>(tasks.count());
        tasks.each().forEach(t -> out.add(view(t)));
        return out;
    }

    static TaskView view(final Task t)
    {
        return new TaskView(t.frameworkId, t.agentId, t.taskId, t.command, t.resources.clone(), t.state, t.exitCode,
            t.message, t.updatedAtMs, t.role);
    }

    /** An immutable copy of a task. */
    public record TaskView(long frameworkId, long agentId, String taskId, String command, long[] resources,
        TaskState state, int exitCode, String message, long updatedAtMs, String role)
    {
        @Override
        public String toString()
        {
            return "Task[" + frameworkId + "/" + taskId + " on " + agentId + " " + state + " exit=" + exitCode +
                " res=" + Arrays.toString(resources) + "]";
        }
    }
}
