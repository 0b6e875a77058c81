package io.corral.master;

import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.TaskState;

/** Messages to frameworks (see {@link Publisher}). */
final class FrameworkPublisher extends Publisher
{
    FrameworkPublisher(final Peers peers, final ResourceVectors vectors)
    {
        super(peers, vectors);
    }

    /** The framework is subscribed with this leader (also the answer to its heartbeat). */
    void subscribed(final MasterState.Framework framework, final long term, final String masterEndpoint,
        final long nowNs)
    {
        final org.agrona.DirectBuffer address = utf8(masterEndpoint);
        out.subscribed.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(framework.id()).term(term)
            .putMasterEndpoint(address, 0, address.capacity());
        send(framework.endpoint(), Outbound.length(out.subscribed.encodedLength()), nowNs);
    }

    void offer(final String endpoint, final OfferBook.Offer offer, final MasterState.Agent agent,
        final String roleName, final long nowNs)
    {
        out.offer.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(offer.frameworkId()).offerId(offer.offerId())
            .agentId(offer.agentId());
        Protocol.putResources(out.offer.resources(), offer.resources());
        out.offer.hostname(agent == null ? "" : agent.hostname()).attributes(agent == null ? "" : agent.attributes())
            .role(roleName).customResources(vectors.custom(offer.resources()));
        send(endpoint, Outbound.length(out.offer.encodedLength()), nowNs);
    }

    void offerRescinded(final String endpoint, final long frameworkId, final long offerId, final long nowNs)
    {
        out.offerRescinded.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).offerId(offerId);
        send(endpoint, Outbound.length(out.offerRescinded.encodedLength()), nowNs);
    }

    /** A task's state: forwarded from an agent, made by the master, or a reconciliation answer (uuid 0). */
    void taskStatus(final String endpoint, final long frameworkId, final long agentId, final String taskId,
        final long uuidMsb, final long uuidLsb, final TaskState state, final int exitCode, final String message,
        final long timestampMs, final long nowNs)
    {
        out.taskStatus.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).agentId(agentId)
            .uuidMsb(uuidMsb).uuidLsb(uuidLsb).state(state).exitCode(exitCode).timestampMs(timestampMs)
            .taskId(taskId).message(message);
        send(endpoint, Outbound.length(out.taskStatus.encodedLength()), nowNs);
    }

    /** A committed update of {@code task}, forwarded: as {@link #taskStatus}, with the task's id pre-encoded. */
    void forward(final String endpoint, final MasterState.Task task, final long uuidMsb, final long uuidLsb,
        final TaskState state, final int exitCode, final String message, final long timestampMs, final long nowNs)
    {
        out.taskStatus.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(task.frameworkId).agentId(task.agentId)
            .uuidMsb(uuidMsb).uuidLsb(uuidLsb).state(state).exitCode(exitCode).timestampMs(timestampMs)
            .putTaskId(task.taskIdUtf8, 0, task.taskIdUtf8.capacity()).message(message);
        send(endpoint, Outbound.length(out.taskStatus.encodedLength()), nowNs);
    }

    void agentLost(final String endpoint, final long frameworkId, final long agentId, final long nowNs)
    {
        out.agentLost.wrapAndApplyHeader(out.buffer, 0, out.header).frameworkId(frameworkId).agentId(agentId);
        send(endpoint, Outbound.length(out.agentLost.encodedLength()), nowNs);
    }
}
