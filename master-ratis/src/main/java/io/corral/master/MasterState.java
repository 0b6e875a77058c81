package io.corral.master;

import static io.corral.codec.Protocol.putResources;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

import io.corral.codec.FrameCheck;
import io.corral.codec.sbe.AgentAdmittedDecoder;
import io.corral.codec.sbe.AgentRemovedDecoder;
import io.corral.codec.sbe.FrameworkAddedDecoder;
import io.corral.codec.sbe.FrameworkRemovedDecoder;
import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.TaskState;
import io.corral.codec.sbe.TaskStatesChangedDecoder;
import io.corral.codec.sbe.TasksLaunchedDecoder;
import org.agrona.DirectBuffer;

/**
 * The replicated state of the cluster: agents, frameworks and tasks with their latest states.
 * Only {@link #apply} changes it, from SBE log records; applying is deterministic (no clock, no
 * randomness, sorted maps), so every master that applies the same log holds the same state.
 * Each applied record yields {@link MasterEvent}s for the leader's duties.
 *
 * <p>One owner: only the master's duty thread reads or writes it (see {@link MasterStateMachine});
 * other threads read a {@link MasterView} it builds. Nothing here locks.
 */
public final class MasterState
{
    /** An agent admitted to the cluster. */
    public record Agent(long id, String hostname, String endpoint, long[] resources, long admittedAtMs,
        String attributes, String httpEndpoint)
    {
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
        public final String command;
        public final long[] resources;
        public final long launchedAtMs;
        /** killGraceMs, healthIntervalMs, healthTimeoutMs, healthMaxFailures. */
        public final long[] options;
        public final String env;
        public final String healthCommand;
        /** The role whose resources the task uses (the role of the offer it was launched from). */
        public final String role;
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
            this.command = command;
            this.resources = resources;
            this.launchedAtMs = launchedAtMs;
            this.updatedAtMs = launchedAtMs;
        }
    }

    private final ResourceVectors vectors;
    private final TreeMap<Long, Agent> agents = new TreeMap<>();
    private final TreeMap<Long, Framework> frameworks = new TreeMap<>();
    private final TreeMap<String, Task> tasks = new TreeMap<>();
    /** Keys of the tasks that have not ended, by agent: derived from {@code tasks}, kept in step by apply. */
    private final TreeMap<Long, java.util.TreeSet<String>> liveByAgent = new TreeMap<>();
    private final TreeMap<String, Role> roles = new TreeMap<>();
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
    private final io.corral.codec.sbe.RoleConfiguredDecoder roleConfigured = new io.corral.codec.sbe.RoleConfiguredDecoder();

    /** A state whose resource vectors have the standard kinds only. */
    public MasterState()
    {
        this(ResourceVectors.standard());
    }

    public MasterState(final ResourceVectors vectors)
    {
        this.vectors = vectors;
    }

    public ResourceVectors vectors()
    {
        return vectors;
    }

    private void ended(final Task task)
    {
        final java.util.TreeSet<String> live = liveByAgent.get(task.agentId);
        if (live != null && live.remove(taskKey(task.frameworkId, task.taskId)) && live.isEmpty())
        {
            liveByAgent.remove(task.agentId);
        }
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

    static void putOptions(final io.corral.codec.sbe.TaskOptionsEncoder o, final long[] options)
    {
        o.killGraceMs(options[0]).healthIntervalMs(options[1]).healthTimeoutMs(options[2])
            .healthMaxFailures((int)options[3]);
    }

    /**
     * Applies one log record at {@code index}; returns what happened for the leader to act on.
     * A record that does not decode is skipped with an event saying so: an exception here would
     * stop the Raft server.
     */
    public List<MasterEvent> apply(final DirectBuffer buffer, final int offset, final int length,
        final long index)
    {
        final List<MasterEvent> events = new ArrayList<>(2);
        lastAppliedIndex = index;
        final String problem = FrameCheck.problem(header, buffer, offset, length);
        if (problem != null)
        {
            events.add(new MasterEvent.BadRecord(index, problem));
            return events;
        }
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
                agentAdmitted.wrap(record, body, block, version);
                if (!fits(agentAdmitted, length, index, events))
                {
                    return events;
                }
                final long id = agentAdmitted.agentId();
                final long at = agentAdmitted.timestampMs();
                final String hostname = agentAdmitted.hostname();
                final String endpoint = agentAdmitted.endpoint();
                final String attributes = agentAdmitted.attributes();
                final String http = agentAdmitted.httpEndpoint();
                final long[] res = vectors.readCommitted(agentAdmitted.resources(), agentAdmitted.customResources(), 0);
                final Agent agent = new Agent(id, hostname, endpoint, res, at, attributes, http);
                final Agent before = agents.put(id, agent);
                events.add(new MasterEvent.AgentAdmitted(index, agent, before != null));
            }
            case AgentRemovedDecoder.TEMPLATE_ID ->
            {
                agentRemoved.wrap(record, body, block, version);
                if (!fits(agentRemoved, length, index, events))
                {
                    return events;
                }
                final long id = agentRemoved.agentId();
                final long at = agentRemoved.timestampMs();
                if (agents.remove(id) != null)
                {
                    final java.util.TreeSet<String> live = liveByAgent.remove(id);
                    for (final String key : live == null ? java.util.Set.<String>of() : live)
                    {
                        final Task task = tasks.get(key);
                        task.state = TaskState.LOST;
                        task.exitCode = 0;
                        task.message = "agent " + id + " was removed";
                        task.updatedAtMs = at;
                        events.add(new MasterEvent.TaskStateChanged(index, task, 0, 0, MasterEvent.Outcome.CHANGED,
                            task.state, task.exitCode, task.message, at));
                    }
                    events.add(new MasterEvent.AgentRemoved(index, id));
                }
            }
            case FrameworkAddedDecoder.TEMPLATE_ID ->
            {
                frameworkAdded.wrap(record, body, block, version);
                if (!fits(frameworkAdded, length, index, events))
                {
                    return events;
                }
                final long id = frameworkAdded.frameworkId();
                final long at = frameworkAdded.timestampMs();
                final long failoverTimeoutMs = frameworkAdded.failoverTimeoutMs();
                final String name = frameworkAdded.name();
                final String role = frameworkAdded.role();
                final String endpoint = frameworkAdded.endpoint();
                final String principal = frameworkAdded.principal();
                final Framework framework = new Framework(id, name, role, endpoint, at, failoverTimeoutMs, principal);
                final Framework before = frameworks.put(id, framework);
                events.add(new MasterEvent.FrameworkAdded(index, framework, before != null));
            }
            case FrameworkRemovedDecoder.TEMPLATE_ID ->
            {
                frameworkRemoved.wrap(record, body, block, version);
                if (!fits(frameworkRemoved, length, index, events))
                {
                    return events;
                }
                final long id = frameworkRemoved.frameworkId();
                if (frameworks.remove(id) != null)
                {
                    events.add(new MasterEvent.FrameworkRemoved(index, id));
                }
            }
            case TasksLaunchedDecoder.TEMPLATE_ID ->
            {
                tasksLaunched.wrap(record, body, block, version);
                if (!fits(tasksLaunched, length, index, events))
                {
                    return events;
                }
                for (final TasksLaunchedDecoder.TasksDecoder t : tasksLaunched.tasks())
                {
                    final long frameworkId = t.frameworkId();
                    final long agentId = t.agentId();
                    final long at = t.timestampMs();
                    final long[] options = options(t.options());
                    final String taskId = t.taskId();
                    final String command = t.command();
                    final String env = t.env();
                    final String healthCommand = t.healthCommand();
                    final String role = t.role();
                    final long[] res = vectors.readCommitted(t.resources(), t.customResources(), 0);
                    final String key = taskKey(frameworkId, taskId);
                    if (tasks.containsKey(key) || !agents.containsKey(agentId) || !frameworks.containsKey(frameworkId))
                    {
                        events.add(new MasterEvent.LaunchDropped(index, frameworkId, agentId, taskId, res, role,
                            tasks.containsKey(key) ? "task id " + taskId + " is already in use" :
                                "agent or framework is gone"));
                        continue;
                    }
                    final Task task = new Task(frameworkId, agentId, taskId, command, res, at, options, env, healthCommand,
                        role);
                    tasks.put(key, task);
                    liveByAgent.computeIfAbsent(agentId, a -> new java.util.TreeSet<>()).add(key);
                    events.add(new MasterEvent.TaskLaunched(index, task));
                }
            }
            case TaskStatesChangedDecoder.TEMPLATE_ID ->
            {
                statesChanged.wrap(record, body, block, version);
                if (!fits(statesChanged, length, index, events))
                {
                    return events;
                }
                for (final TaskStatesChangedDecoder.ChangesDecoder c : statesChanged.changes())
                {
                    final long frameworkId = c.frameworkId();
                    final long msb = c.uuidMsb();
                    final long lsb = c.uuidLsb();
                    final TaskState state = c.state();
                    final int exitCode = c.exitCode();
                    final long at = c.timestampMs();
                    final String taskId = c.taskId();
                    final String message = c.message();
                    final Task task = tasks.get(taskKey(frameworkId, taskId));
                    if (task == null)
                    {
                        continue;
                    }
                    final boolean duplicate = (msb != 0 || lsb != 0) && task.lastUuidMsb == msb &&
                        task.lastUuidLsb == lsb;
                    if (duplicate || isTerminal(task.state) || state.value() < task.state.value() &&
                        !isTerminal(state))
                    {
                        // Already applied, or would move the task backwards: nothing changes.
                        events.add(new MasterEvent.TaskStateChanged(index, task, msb, lsb,
                            duplicate ? MasterEvent.Outcome.DUPLICATE : MasterEvent.Outcome.STALE, state, exitCode,
                            message, at));
                        continue;
                    }
                    task.state = state;
                    if (isTerminal(state))
                    {
                        ended(task);
                    }
                    task.exitCode = exitCode;
                    task.message = message;
                    task.updatedAtMs = at;
                    task.lastUuidMsb = msb;
                    task.lastUuidLsb = lsb;
                    events.add(new MasterEvent.TaskStateChanged(index, task, msb, lsb, MasterEvent.Outcome.CHANGED,
                        state, exitCode, message, at));
                }
            }
            case io.corral.codec.sbe.RoleConfiguredDecoder.TEMPLATE_ID ->
            {
                roleConfigured.wrap(record, body, block, version);
                if (!fits(roleConfigured, length, index, events))
                {
                    return events;
                }
                final double weight = roleConfigured.weight();
                final String name = roleConfigured.role();
                final long[] guarantee = vectors.readCommitted(roleConfigured.quotaGuarantee(),
                    roleConfigured.customGuarantee(), 0);
                final long[] limit = vectors.readCommitted(roleConfigured.quotaLimit(), roleConfigured.customLimit(),
                    Long.MAX_VALUE);
                final Role role = new Role(name, weight, guarantee, limit);
                roles.put(role.name(), role);
                events.add(new MasterEvent.RoleConfigured(index, role));
            }
            default -> events.add(new MasterEvent.BadRecord(index, "unknown record template " + header.templateId()));
        }
        return events;
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

    private static final int SNAPSHOT_BATCH = 256;

    /**
     * The whole state as the same SBE records as the log, each preceded by its length (int, little
     * endian). Deterministic: equal states give equal bytes. Applying them to an empty state with
     * {@link #restore} rebuilds this state exactly. Tasks whose agent or framework was removed are
     * written under a briefly re-admitted owner that is removed again after them.
     */
    public byte[] snapshotBytes()
    {
        final io.corral.codec.Outbound out = new io.corral.codec.Outbound();
        final org.agrona.ExpandableArrayBuffer file = new org.agrona.ExpandableArrayBuffer(1 << 16);
        final int[] position = { 0 };
        final java.util.function.IntConsumer emit = length ->
        {
            file.putInt(position[0], length, java.nio.ByteOrder.LITTLE_ENDIAN);
            file.putBytes(position[0] + 4, out.buffer, 0, length);
            position[0] += 4 + length;
        };
        for (final Role r : roles.values())
        {
            encodeRole(out, r, vectors);
            emit.accept(io.corral.codec.Outbound.length(out.roleConfigured.encodedLength()));
        }
        for (final Agent a : agents.values())
        {
            emitAgent(out, a.id(), a.resources(), a.admittedAtMs(), a.hostname(), a.endpoint(), a.attributes(),
                a.httpEndpoint(), vectors);
            emit.accept(io.corral.codec.Outbound.length(out.agentAdmitted.encodedLength()));
        }
        for (final Framework f : frameworks.values())
        {
            emitFramework(out, f.id(), f.addedAtMs(), f.failoverTimeoutMs(), f.name(), f.role(), f.endpoint(),
                f.principal());
            emit.accept(io.corral.codec.Outbound.length(out.frameworkAdded.encodedLength()));
        }
        final java.util.TreeSet<Long> goneAgents = new java.util.TreeSet<>();
        final java.util.TreeSet<Long> goneFrameworks = new java.util.TreeSet<>();
        for (final Task t : tasks.values())
        {
            if (!agents.containsKey(t.agentId))
            {
                goneAgents.add(t.agentId);
            }
            if (!frameworks.containsKey(t.frameworkId))
            {
                goneFrameworks.add(t.frameworkId);
            }
        }
        for (final long id : goneAgents)
        {
            emitAgent(out, id, vectors.vector(0), 0, "", "", "", "", vectors);
            emit.accept(io.corral.codec.Outbound.length(out.agentAdmitted.encodedLength()));
        }
        for (final long id : goneFrameworks)
        {
            emitFramework(out, id, 0, 0, "", "", "", "");
            emit.accept(io.corral.codec.Outbound.length(out.frameworkAdded.encodedLength()));
        }
        final List<Task> all = new ArrayList<>(tasks.values());
        for (int from = 0; from < all.size(); from += SNAPSHOT_BATCH)
        {
            final List<Task> batch = all.subList(from, Math.min(all.size(), from + SNAPSHOT_BATCH));
            final io.corral.codec.sbe.TasksLaunchedEncoder.TasksEncoder g = out.tasksLaunched
                .wrapAndApplyHeader(out.buffer, 0, out.header).tasksCount(batch.size());
            for (final Task t : batch)
            {
                putResources(g.next().frameworkId(t.frameworkId).agentId(t.agentId).resources(), t.resources);
                g.timestampMs(t.launchedAtMs);
                putOptions(g.options(), t.options);
                g.taskId(t.taskId).command(t.command).env(t.env).healthCommand(t.healthCommand).role(t.role)
                    .customResources(vectors.custom(t.resources));
            }
            emit.accept(io.corral.codec.Outbound.length(out.tasksLaunched.encodedLength()));
        }
        final List<Task> moved = new ArrayList<>();
        for (final Task t : all)
        {
            if (t.state != TaskState.STAGING)
            {
                moved.add(t);
            }
        }
        for (int from = 0; from < moved.size(); from += SNAPSHOT_BATCH)
        {
            final List<Task> batch = moved.subList(from, Math.min(moved.size(), from + SNAPSHOT_BATCH));
            final io.corral.codec.sbe.TaskStatesChangedEncoder.ChangesEncoder g = out.taskStatesChanged
                .wrapAndApplyHeader(out.buffer, 0, out.header).changesCount(batch.size());
            for (final Task t : batch)
            {
                g.next().frameworkId(t.frameworkId).agentId(t.agentId).uuidMsb(t.lastUuidMsb).uuidLsb(t.lastUuidLsb)
                    .state(t.state).exitCode(t.exitCode).timestampMs(t.updatedAtMs).taskId(t.taskId)
                    .message(t.message);
            }
            emit.accept(io.corral.codec.Outbound.length(out.taskStatesChanged.encodedLength()));
        }
        for (final long id : goneFrameworks)
        {
            out.frameworkRemoved.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(id).timestampMs(0);
            emit.accept(io.corral.codec.Outbound.length(out.frameworkRemoved.encodedLength()));
        }
        for (final long id : goneAgents)
        {
            out.agentRemoved.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(id).timestampMs(0);
            emit.accept(io.corral.codec.Outbound.length(out.agentRemoved.encodedLength()));
        }
        final byte[] bytes = new byte[position[0]];
        file.getBytes(0, bytes);
        return bytes;
    }

    /** Encodes a role's configuration as a log record into {@code out}. */
    public static void encodeRole(final io.corral.codec.Outbound out, final Role r, final ResourceVectors vectors)
    {
        out.roleConfigured.wrapAndApplyHeader(out.buffer, 0, out.header).weight(r.weight());
        putResources(out.roleConfigured.quotaGuarantee(), r.guarantee());
        putResources(out.roleConfigured.quotaLimit(), r.limit());
        out.roleConfigured.role(r.name()).customGuarantee(vectors.custom(r.guarantee()))
            .customLimit(vectors.custom(r.limit(), Long.MAX_VALUE));
    }

    /** Encodes an agent's admission as a log record into {@code out}. */
    static void emitAgent(final io.corral.codec.Outbound out, final long id, final long[] res, final long at,
        final String hostname, final String endpoint, final String attributes, final String http,
        final ResourceVectors vectors)
    {
        putResources(out.agentAdmitted.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(id).resources(), res);
        out.agentAdmitted.timestampMs(at).hostname(hostname).endpoint(endpoint).attributes(attributes).httpEndpoint(http)
            .customResources(vectors.custom(res));
    }

    private static void emitFramework(final io.corral.codec.Outbound out, final long id, final long at,
        final long failoverTimeoutMs, final String name, final String role, final String endpoint, final String principal)
    {
        out.frameworkAdded.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(id).timestampMs(at)
            .failoverTimeoutMs(failoverTimeoutMs).name(name).role(role).endpoint(endpoint).principal(principal);
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
        liveByAgent.clear();
        roles.clear();
        final org.agrona.concurrent.UnsafeBuffer buffer = new org.agrona.concurrent.UnsafeBuffer(bytes);
        int position = 0;
        while (position < bytes.length)
        {
            if (position + 4 > bytes.length)
            {
                throw new IllegalStateException("snapshot is truncated at byte " + position);
            }
            final int length = buffer.getInt(position, java.nio.ByteOrder.LITTLE_ENDIAN);
            if (length <= 0 || position + 4 + length > bytes.length)
            {
                throw new IllegalStateException("snapshot record at byte " + position + " has a bad length " + length);
            }
            for (final MasterEvent event : apply(buffer, position + 4, length, index))
            {
                if (event instanceof MasterEvent.BadRecord bad)
                {
                    throw new IllegalStateException("snapshot holds a bad record: " + bad.problem());
                }
            }
            position += 4 + length;
        }
        lastAppliedIndex = index;
    }

    public int agentCount()
    {
        return agents.size();
    }

    public int frameworkCount()
    {
        return frameworks.size();
    }

    public int taskCount()
    {
        return tasks.size();
    }

    /** An immutable copy of the whole state, for other threads (built by the owner). */
    public MasterView view()
    {
        return new MasterView(lastAppliedIndex, appliedRecords, vectors, agents(), frameworks(), roles(), tasks());
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
        return new ArrayList<>(agents.values());
    }

    public Agent agent(final long id)
    {
        return agents.get(id);
    }

    public List<Role> roles()
    {
        return new ArrayList<>(roles.values());
    }

    public List<Framework> frameworks()
    {
        return new ArrayList<>(frameworks.values());
    }

    public Framework framework(final long id)
    {
        return frameworks.get(id);
    }

    public Task task(final long frameworkId, final String taskId)
    {
        return tasks.get(taskKey(frameworkId, taskId));
    }

    /** How many tasks are in each state (for metrics: counts, not copies). */
    public java.util.EnumMap<TaskState, Integer> taskCounts()
    {
        final java.util.EnumMap<TaskState, Integer> counts = new java.util.EnumMap<>(TaskState.class);
        for (final Task t : tasks.values())
        {
            counts.merge(t.state, 1, Integer::sum);
        }
        return counts;
    }

    /** Copies of the tasks on this agent that have not ended (found without walking every task). */
    public List<TaskView> liveTasksOn(final long agentId)
    {
        final java.util.TreeSet<String> live = liveByAgent.get(agentId);
        final List<TaskView> out = new ArrayList<>(live == null ? 0 : live.size());
        for (final String key : live == null ? java.util.Set.<String>of() : live)
        {
            out.add(view(tasks.get(key)));
        }
        return out;
    }

    /** Copies of every task's fields, safe to read on another thread. */
    public List<TaskView> tasks()
    {
        final List<TaskView> out = new ArrayList<>(tasks.size());
        for (final Task t : tasks.values())
        {
            out.add(view(t));
        }
        return out;
    }

    private static TaskView view(final Task t)
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
