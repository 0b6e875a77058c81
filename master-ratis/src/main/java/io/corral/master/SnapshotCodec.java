package io.corral.master;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A snapshot is the state as the same SBE records as the log, each preceded by its length (int,
 * little endian), so loading one goes through the same apply code as the log. Deterministic:
 * equal states give equal bytes. Tasks whose agent or framework was removed are written under a
 * briefly re-admitted owner that is removed again after them.
 */
final class SnapshotCodec
{
    private static final int BATCH = 256;

    /** One record of a snapshot. */
    interface RecordSink
    {
        void record(DirectBuffer buffer, int offset, int length);
    }

    private SnapshotCodec()
    {
    }

    static byte[] write(final MasterState state)
    {
        final RecordWriter records = new RecordWriter(state.vectors());
        final ExpandableArrayBuffer file = new ExpandableArrayBuffer(1 << 16);
        final int[] position = { 0 };
        final java.util.function.IntConsumer emit = length ->
        {
            file.putInt(position[0], length, ByteOrder.LITTLE_ENDIAN);
            file.putBytes(position[0] + 4, records.buffer(), 0, length);
            position[0] += 4 + length;
        };
        for (final MasterState.Role r : state.roleControl().all())
        {
            emit.accept(records.roleConfigured(r));
        }
        if (!state.acl().text().equals(Acl.DEFAULT_TEXT))
        {
            emit.accept(records.aclSet(state.acl().text()));
        }
        final AgentControl agents = state.agentControl();
        final FrameworkControl frameworks = state.frameworkControl();
        for (final MasterState.Agent a : agents.each())
        {
            emit.accept(records.agentAdmitted(a.id(), a.resources(), a.admittedAtMs(), a.hostname(), a.endpoint(),
                a.attributes(), a.httpEndpoint(), a.secretHash()));
        }
        for (final MasterState.Framework f : frameworks.each())
        {
            emit.accept(records.frameworkAdded(f.id(), f.addedAtMs(), f.failoverTimeoutMs(), f.name(), f.role(),
                f.endpoint(), f.principal()));
        }
        final TreeSet<Long> goneAgents = new TreeSet<>();
        final java.util.TreeMap<Long, String> goneFrameworks = new java.util.TreeMap<>();
        final List<MasterState.Task> all = state.taskControl().all();
        for (final MasterState.Task t : all)
        {
            if (!agents.contains(t.agentId))
            {
                goneAgents.add(t.agentId);
            }
            if (!frameworks.contains(t.frameworkId))
            {
                goneFrameworks.put(t.frameworkId, t.principal); // its principal still owns the sandboxes
            }
        }
        for (final long id : goneAgents)
        {
            emit.accept(records.agentAdmitted(id, state.vectors().vector(0), 0, "", "", "", "", ""));
        }
        goneFrameworks.forEach((id, principal) -> emit.accept(records.frameworkAdded(id, 0, 0, "", "", "", principal)));
        for (int from = 0; from < all.size(); from += BATCH)
        {
            emit.accept(records.launchedTasks(all.subList(from, Math.min(all.size(), from + BATCH))));
        }
        final List<MasterState.Task> moved = new ArrayList<>();
        for (final MasterState.Task t : all)
        {
            if (t.state != io.corral.codec.sbe.TaskState.STAGING)
            {
                moved.add(t);
            }
        }
        for (int from = 0; from < moved.size(); from += BATCH)
        {
            emit.accept(records.taskStates(moved.subList(from, Math.min(moved.size(), from + BATCH))));
        }
        for (final long id : goneFrameworks.keySet())
        {
            emit.accept(records.frameworkRemoved(id, 0));
        }
        for (final long id : goneAgents)
        {
            emit.accept(records.agentRemoved(id, 0));
        }
        final byte[] bytes = new byte[position[0]];
        file.getBytes(0, bytes);
        return bytes;
    }

    /** Hands each record of a snapshot to {@code sink}, in order; throws if the framing is broken. */
    static void read(final byte[] bytes, final RecordSink sink)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        int position = 0;
        while (position < bytes.length)
        {
            if (position + 4 > bytes.length)
            {
                throw new IllegalStateException("snapshot is truncated at byte " + position);
            }
            final int length = buffer.getInt(position, ByteOrder.LITTLE_ENDIAN);
            if (length <= 0 || length > bytes.length - position - 4)
            {
                throw new IllegalStateException("snapshot record at byte " + position + " has a bad length " + length);
            }
            sink.record(buffer, position + 4, length);
            position += 4 + length;
        }
    }
}
