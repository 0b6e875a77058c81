package io.corral.master;

import io.corral.codec.Outbound;
import io.corral.codec.Protocol;

/** Messages to agents (see {@link Publisher}). */
final class AgentPublisher extends Publisher
{
    AgentPublisher(final Peers peers, final ResourceVectors vectors)
    {
        super(peers, vectors);
    }

    /** The agent is registered with this leader (also the answer to its heartbeat). */
    void registered(final MasterState.Agent agent, final long term, final String masterEndpoint,
        final long heartbeatIntervalMs, final long nowNs)
    {
        final org.agrona.DirectBuffer address = utf8(masterEndpoint);
        out.agentRegistered.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agent.id()).term(term)
            .heartbeatIntervalMs(heartbeatIntervalMs)
            .putMasterEndpoint(address, 0, address.capacity());
        final org.agrona.DirectBuffer hostname = text(agent.hostname());
        out.agentRegistered.putHostname(hostname, 0, hostname.capacity());
        send(agent.endpoint(), Outbound.length(out.agentRegistered.encodedLength()), nowNs);
    }

    /** The session is refused (session 0: this master takes none). */
    void authFailed(final String endpoint, final long session, final String reason, final long nowNs)
    {
        final io.corral.codec.sbe.AuthFailedEncoder e = new io.corral.codec.sbe.AuthFailedEncoder();
        e.wrapAndApplyHeader(out.buffer, 0, out.header).session(session).reason(reason);
        send(endpoint, Outbound.length(e.encodedLength()), nowNs);
    }

    void runTask(final String endpoint, final MasterState.Task task, final long nowNs)
    {
        out.runTask.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(task.agentId).frameworkId(task.frameworkId);
        Protocol.putResources(out.runTask.resources(), task.resources);
        RecordWriter.putOptions(out.runTask.options(), task.options);
        out.runTask.taskId(task.taskId).command(task.command).env(task.env).healthCommand(task.healthCommand)
            .customResources(vectors.custom(task.resources));
        send(endpoint, Outbound.length(out.runTask.encodedLength()), nowNs);
    }

    void killTask(final String endpoint, final long agentId, final long frameworkId, final String taskId,
        final long nowNs)
    {
        out.killTask.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId).frameworkId(frameworkId)
            .taskId(taskId);
        send(endpoint, Outbound.length(out.killTask.encodedLength()), nowNs);
    }

    /** As {@link #statusAck(String, long, long, String, long, long, long)}, the task id as UTF-8 bytes. */
    void statusAck(final String endpoint, final long agentId, final long frameworkId, final org.agrona.DirectBuffer taskId,
        final long uuidMsb, final long uuidLsb, final long nowNs)
    {
        out.statusAck.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId).frameworkId(frameworkId)
            .uuidMsb(uuidMsb).uuidLsb(uuidLsb).putTaskId(taskId, 0, taskId.capacity());
        send(endpoint, Outbound.length(out.statusAck.encodedLength()), nowNs);
    }

    /** The update is recorded (or needs no recording): the agent stops resending it. */
    void statusAck(final String endpoint, final long agentId, final long frameworkId, final String taskId,
        final long uuidMsb, final long uuidLsb, final long nowNs)
    {
        out.statusAck.wrapAndApplyHeader(out.buffer, 0, out.header).agentId(agentId).frameworkId(frameworkId)
            .uuidMsb(uuidMsb).uuidLsb(uuidLsb).taskId(taskId);
        send(endpoint, Outbound.length(out.statusAck.encodedLength()), nowNs);
    }
}
