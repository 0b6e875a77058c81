package io.corral.master;

import java.util.List;

import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.TaskState;
import org.agrona.DirectBuffer;

/** Encodes what agents and frameworks send a master, for handing to an {@link InProcessLeader}. */
final class Frames
{
    private final Outbound out = new Outbound();
    private int length;

    DirectBuffer buffer()
    {
        return out.buffer;
    }

    int length()
    {
        return length;
    }

    /**
     * The secret the agent at {@code endpoint} registers with: unrelated for different endpoints
     * (no few edits turn one into another, as with a real agent's 128 random bits).
     */
    static String secretOf(final String endpoint)
    {
        return AgentControl.sha256("test-agent-secret:" + endpoint);
    }

    Frames registerAgent(final long agentId, final String endpoint, final long milliCpus, final long memMb)
    {
        return registerAgent(agentId, endpoint, milliCpus, memMb, "");
    }

    /** With the task list an agent that has tasks sends ("count", then "framework/task<TAB>STATE" per task). */
    Frames registerAgent(final long agentId, final String endpoint, final long milliCpus, final long memMb,
        final String taskList)
    {
        Protocol.putResources(out.registerAgent.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId)
            .resources(), new long[] { milliCpus, memMb, 0, 0 });
        out.registerAgent.hostname("host-" + endpoint).endpoint(endpoint).attributes("").httpEndpoint("")
            .customResources("").tasks(taskList).agentSecret(secretOf(endpoint));
        length = Outbound.length(out.registerAgent.encodedLength());
        return this;
    }

    /** Part {@code part} of a task list too long for the registration that follows it. */
    Frames agentTasks(final long agentId, final int part, final String lines)
    {
        out.agentTasks.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId).part(part).tasks(lines);
        length = Outbound.length(out.agentTasks.encodedLength());
        return this;
    }

    Frames heartbeat(final long agentId)
    {
        out.heartbeat.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId);
        length = Outbound.length(out.heartbeat.encodedLength());
        return this;
    }

    Frames subscribe(final long frameworkId, final String endpoint, final long failoverTimeoutMs)
    {
        out.subscribe.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId)
            .failoverTimeoutMs(failoverTimeoutMs).name("fw").role("default").endpoint(endpoint).principal("");
        length = Outbound.length(out.subscribe.encodedLength());
        return this;
    }

    Frames accept(final long frameworkId, final long offerId, final String taskId, final long milliCpus,
        final long memMb)
    {
        return accept(frameworkId, offerId, List.of(taskId), milliCpus, memMb);
    }

    /** One accept launching each of {@code taskIds} with these resources. */
    Frames accept(final long frameworkId, final long offerId, final List<String> taskIds, final long milliCpus,
        final long memMb)
    {
        out.accept.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).offerId(offerId);
        out.accept.moreOffersCount(0);
        final io.corral.codec.sbe.AcceptEncoder.TasksEncoder tasks = out.accept.tasksCount(taskIds.size());
        for (final String taskId : taskIds)
        {
            Protocol.putResources(tasks.next().resources(), new long[] { milliCpus, memMb, 0, 0 });
            RecordWriter.putOptions(tasks.options(), new long[4]);
            tasks.taskId(taskId).command("sleep 1").env("").healthCommand("").customResources("");
        }
        length = Outbound.length(out.accept.encodedLength());
        return this;
    }

    Frames statusUpdate(final long agentId, final long frameworkId, final String taskId, final TaskState state,
        final long uuidMsb, final long uuidLsb)
    {
        out.statusUpdate.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId).frameworkId(frameworkId)
            .uuidMsb(uuidMsb).uuidLsb(uuidLsb).state(state).exitCode(0).timestampMs(1).taskId(taskId)
            .message(state.name().toLowerCase());
        length = Outbound.length(out.statusUpdate.encodedLength());
        return this;
    }

    Frames acknowledge(final long frameworkId, final String taskId, final long uuidMsb, final long uuidLsb)
    {
        out.acknowledge.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).uuidMsb(uuidMsb)
            .uuidLsb(uuidLsb).taskId(taskId);
        length = Outbound.length(out.acknowledge.encodedLength());
        return this;
    }

    Frames decline(final long frameworkId, final long offerId, final long refuseMillis)
    {
        out.decline.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).offerId(offerId)
            .refuseMillis(refuseMillis);
        length = Outbound.length(out.decline.encodedLength());
        return this;
    }

    Frames kill(final long frameworkId, final String taskId)
    {
        out.kill.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).taskId(taskId);
        length = Outbound.length(out.kill.encodedLength());
        return this;
    }

    Frames teardown(final long frameworkId)
    {
        out.teardown.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId);
        length = Outbound.length(out.teardown.encodedLength());
        return this;
    }

    Frames reconcile(final long frameworkId, final String... taskIds)
    {
        final io.corral.codec.sbe.ReconcileEncoder.TasksEncoder tasks = out.reconcile
            .wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).tasksCount(taskIds.length);
        for (final String t : taskIds)
        {
            tasks.next().taskId(t);
        }
        length = Outbound.length(out.reconcile.encodedLength());
        return this;
    }

    Frames suppress(final long frameworkId, final boolean suppress, final String roles)
    {
        out.suppress.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId)
            .suppress((short)(suppress ? 1 : 0)).roles(roles);
        length = Outbound.length(out.suppress.encodedLength());
        return this;
    }

    Frames hello(final byte[] clientNonce, final String principal, final String endpoint)
    {
        final io.corral.codec.sbe.HelloEncoder hello = new io.corral.codec.sbe.HelloEncoder();
        hello.wrapAndApplyHeader(out.buffer, 0, out.header).putClientNonce(clientNonce, 0, 16).principal(principal)
            .endpoint(endpoint);
        length = Outbound.length(hello.encodedLength());
        return this;
    }

    /** The frame's bytes, for a corpus. */
    byte[] bytes()
    {
        final byte[] copy = new byte[length];
        out.buffer.getBytes(0, copy);
        return copy;
    }

    /** Hands the frame to the leader as if from Aeron session {@code sessionId}. */
    void to(final InProcessLeader leader, final int sessionId)
    {
        leader.onFrame(out.buffer, 0, length, sessionId);
    }
}
