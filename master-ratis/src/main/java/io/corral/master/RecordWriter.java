package io.corral.master;

import static io.corral.codec.Protocol.putResources;

import java.util.List;

import io.corral.codec.Outbound;
import io.corral.codec.sbe.TaskStatesChangedEncoder;
import io.corral.codec.sbe.TasksLaunchedEncoder;
import org.agrona.ExpandableArrayBuffer;

/**
 * The log records, each encoded in exactly one place, into one reusable buffer: what the
 * Controls' commands propose and what snapshots hold. Each method returns the record's length;
 * the record is the first that many bytes of {@link #buffer()} until the next call. One per
 * owner thread.
 */
final class RecordWriter
{
    private final Outbound out = new Outbound();
    private final ResourceVectors vectors;

    RecordWriter(final ResourceVectors vectors)
    {
        this.vectors = vectors;
    }

    private int length;

    ExpandableArrayBuffer buffer()
    {
        return out.buffer;
    }

    /** The length of the record written last (what a proposing {@link Result} refers to). */
    int length()
    {
        return length;
    }

    private int done(final int length)
    {
        this.length = length;
        return length;
    }

    int agentAdmitted(final long id, final long[] resources, final long atMs, final String hostname,
        final String endpoint, final String attributes, final String http, final String secretHash)
    {
        putResources(out.agentAdmitted.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(id).resources(),
            resources);
        out.agentAdmitted.timestampMs(atMs).hostname(hostname).endpoint(endpoint).attributes(attributes)
            .httpEndpoint(http).customResources(vectors.custom(resources)).secretHash(secretHash);
        return done(Outbound.length(out.agentAdmitted.encodedLength()));
    }

    int agentRemoved(final long id, final long atMs)
    {
        out.agentRemoved.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(id).timestampMs(atMs);
        return done(Outbound.length(out.agentRemoved.encodedLength()));
    }

    int frameworkAdded(final long id, final long atMs, final long failoverTimeoutMs, final String name,
        final String role, final String endpoint, final String principal)
    {
        out.frameworkAdded.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(id).timestampMs(atMs)
            .failoverTimeoutMs(failoverTimeoutMs).name(name).role(role).endpoint(endpoint).principal(principal);
        return done(Outbound.length(out.frameworkAdded.encodedLength()));
    }

    int frameworkRemoved(final long id, final long atMs)
    {
        out.frameworkRemoved.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(id).timestampMs(atMs);
        return done(Outbound.length(out.frameworkRemoved.encodedLength()));
    }

    int roleConfigured(final MasterState.Role r)
    {
        out.roleConfigured.wrapAndApplyHeader(out.buffer, 0, out.header).weight(r.weight());
        putResources(out.roleConfigured.quotaGuarantee(), r.guarantee());
        putResources(out.roleConfigured.quotaLimit(), r.limit());
        out.roleConfigured.role(r.name()).customGuarantee(vectors.custom(r.guarantee()))
            .customLimit(vectors.custom(r.limit(), Long.MAX_VALUE));
        return done(Outbound.length(out.roleConfigured.encodedLength()));
    }

    /** The whole authorization rules, replacing the ones before. */
    int aclSet(final String rules)
    {
        out.aclSet.wrapAndApplyHeader(out.buffer, 0, out.header).rules(rules);
        return done(Outbound.length(out.aclSet.encodedLength()));
    }

    /** One batch of accepted launches, all at {@code atMs}. */
    int tasksLaunched(final List<TaskControl.Launch> batch, final long atMs)
    {
        final TasksLaunchedEncoder.TasksEncoder g = out.tasksLaunched.wrapAndApplyHeader(out.buffer, 0, out.header)
            .tasksCount(batch.size());
        for (int i = 0; i < batch.size(); i++)
        {
            final TaskControl.Launch l = batch.get(i);
            putLaunch(g.next(), l.frameworkId(), l.agentId(), l.resources(), atMs, l.options(), l.taskId(), l.command(),
                l.env(), l.healthCommand(), l.role());
        }
        return done(Outbound.length(out.tasksLaunched.encodedLength()));
    }

    /** Tasks as launched (a snapshot). */
    int launchedTasks(final List<MasterState.Task> batch)
    {
        final TasksLaunchedEncoder.TasksEncoder g = out.tasksLaunched.wrapAndApplyHeader(out.buffer, 0, out.header)
            .tasksCount(batch.size());
        for (final MasterState.Task t : batch)
        {
            putLaunch(g.next(), t.frameworkId, t.agentId, t.resources, t.launchedAtMs, t.options, t.taskId, t.command,
                t.env, t.healthCommand, t.role);
        }
        return done(Outbound.length(out.tasksLaunched.encodedLength()));
    }

    private void putLaunch(final TasksLaunchedEncoder.TasksEncoder g, final long frameworkId, final long agentId,
        final long[] resources, final long atMs, final long[] options, final String taskId, final String command,
        final String env, final String healthCommand, final String role)
    {
        putResources(g.frameworkId(frameworkId).agentId(agentId).resources(), resources);
        g.timestampMs(atMs);
        putOptions(g.options(), options);
        g.taskId(taskId).command(command).env(env).healthCommand(healthCommand).role(role)
            .customResources(vectors.custom(resources));
    }

    /** One batch of status updates. */
    int taskStatesChanged(final List<TaskControl.Update> batch)
    {
        final TaskStatesChangedEncoder.ChangesEncoder g = out.taskStatesChanged
            .wrapAndApplyHeader(out.buffer, 0, out.header).changesCount(batch.size());
        for (int i = 0; i < batch.size(); i++)
        {
            final TaskControl.Update u = batch.get(i);
            final TaskStatesChangedEncoder.ChangesEncoder c = g.next().frameworkId(u.frameworkId())
                .agentId(u.agentId()).uuidMsb(u.uuidMsb()).uuidLsb(u.uuidLsb()).state(u.state())
                .exitCode(u.exitCode()).timestampMs(u.timestampMs());
            if (u.taskIdUtf8() == null)
            {
                c.taskId(u.taskId());
            }
            else
            {
                c.putTaskId(u.taskIdUtf8(), 0, u.taskIdUtf8().capacity()); // the task's own bytes: no encoding
            }
            c.message(u.message());
        }
        return done(Outbound.length(out.taskStatesChanged.encodedLength()));
    }

    /** Tasks' latest states (a snapshot). */
    int taskStates(final List<MasterState.Task> batch)
    {
        final TaskStatesChangedEncoder.ChangesEncoder g = out.taskStatesChanged
            .wrapAndApplyHeader(out.buffer, 0, out.header).changesCount(batch.size());
        for (final MasterState.Task t : batch)
        {
            putChange(g.next(), t.frameworkId, t.agentId, t.lastUuidMsb, t.lastUuidLsb, t.state, t.exitCode,
                t.updatedAtMs, t.taskId, t.message);
        }
        return done(Outbound.length(out.taskStatesChanged.encodedLength()));
    }

    private static void putChange(final TaskStatesChangedEncoder.ChangesEncoder g, final long frameworkId,
        final long agentId, final long msb, final long lsb, final io.corral.codec.sbe.TaskState state,
        final int exitCode, final long atMs, final String taskId, final String message)
    {
        g.frameworkId(frameworkId).agentId(agentId).uuidMsb(msb).uuidLsb(lsb).state(state).exitCode(exitCode)
            .timestampMs(atMs).taskId(taskId).message(message);
    }

    static void putOptions(final io.corral.codec.sbe.TaskOptionsEncoder o, final long[] options)
    {
        o.killGraceMs(options[0]).healthIntervalMs(options[1]).healthTimeoutMs(options[2])
            .healthMaxFailures((int)options[3]);
    }
}
