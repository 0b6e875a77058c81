package io.corral.codec;

import io.aeron.Publication;
import io.corral.codec.sbe.AcceptEncoder;
import io.corral.codec.sbe.AcknowledgeEncoder;
import io.corral.codec.sbe.AgentAdmittedEncoder;
import io.corral.codec.sbe.AgentHeartbeatEncoder;
import io.corral.codec.sbe.AgentRegisteredEncoder;
import io.corral.codec.sbe.AgentRemovedEncoder;
import io.corral.codec.sbe.DeclineEncoder;
import io.corral.codec.sbe.ErrorCode;
import io.corral.codec.sbe.ErrorReplyEncoder;
import io.corral.codec.sbe.FrameworkAddedEncoder;
import io.corral.codec.sbe.FrameworkRemovedEncoder;
import io.corral.codec.sbe.KillEncoder;
import io.corral.codec.sbe.KillTaskEncoder;
import io.corral.codec.sbe.MessageHeaderEncoder;
import io.corral.codec.sbe.NotLeaderEncoder;
import io.corral.codec.sbe.OfferEncoder;
import io.corral.codec.sbe.OfferRescindedEncoder;
import io.corral.codec.sbe.ReconcileEncoder;
import io.corral.codec.sbe.RegisterAgentEncoder;
import io.corral.codec.sbe.RoleConfiguredEncoder;
import io.corral.codec.sbe.RunTaskEncoder;
import io.corral.codec.sbe.StatusAckEncoder;
import io.corral.codec.sbe.StatusUpdateEncoder;
import io.corral.codec.sbe.SubscribeEncoder;
import io.corral.codec.sbe.SubscribedEncoder;
import io.corral.codec.sbe.TaskStatesChangedEncoder;
import io.corral.codec.sbe.TaskStatusEncoder;
import io.corral.codec.sbe.TasksLaunchedEncoder;
import io.corral.codec.sbe.TeardownEncoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Pre-allocated encoders over one reusable buffer, owned by one thread. Encode with
 * {@code out.x.wrapAndApplyHeader(out.buffer, 0, out.header)}, then {@link #offer} the length.
 */
public final class Outbound
{
    public static final int MAX_RETRIES = 3;

    public final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(4096);
    public final MessageHeaderEncoder header = new MessageHeaderEncoder();
    public final RegisterAgentEncoder registerAgent = new RegisterAgentEncoder();
    public final io.corral.codec.sbe.AgentTasksEncoder agentTasks = new io.corral.codec.sbe.AgentTasksEncoder();
    public final AgentRegisteredEncoder agentRegistered = new AgentRegisteredEncoder();
    public final NotLeaderEncoder notLeader = new NotLeaderEncoder();
    public final AgentHeartbeatEncoder heartbeat = new AgentHeartbeatEncoder();
    public final RunTaskEncoder runTask = new RunTaskEncoder();
    public final KillTaskEncoder killTask = new KillTaskEncoder();
    public final StatusUpdateEncoder statusUpdate = new StatusUpdateEncoder();
    public final StatusAckEncoder statusAck = new StatusAckEncoder();
    public final ErrorReplyEncoder errorReply = new ErrorReplyEncoder();
    public final SubscribeEncoder subscribe = new SubscribeEncoder();
    public final SubscribedEncoder subscribed = new SubscribedEncoder();
    public final OfferEncoder offer = new OfferEncoder();
    public final AcceptEncoder accept = new AcceptEncoder();
    public final DeclineEncoder decline = new DeclineEncoder();
    public final KillEncoder kill = new KillEncoder();
    public final AcknowledgeEncoder acknowledge = new AcknowledgeEncoder();
    public final TaskStatusEncoder taskStatus = new TaskStatusEncoder();
    public final OfferRescindedEncoder offerRescinded = new OfferRescindedEncoder();
    public final TeardownEncoder teardown = new TeardownEncoder();
    public final ReconcileEncoder reconcile = new ReconcileEncoder();
    public final io.corral.codec.sbe.SuppressEncoder suppress = new io.corral.codec.sbe.SuppressEncoder();
    public final io.corral.codec.sbe.AgentLostEncoder agentLost = new io.corral.codec.sbe.AgentLostEncoder();
    public final AgentAdmittedEncoder agentAdmitted = new AgentAdmittedEncoder();
    public final FrameworkAddedEncoder frameworkAdded = new FrameworkAddedEncoder();
    public final TasksLaunchedEncoder tasksLaunched = new TasksLaunchedEncoder();
    public final TaskStatesChangedEncoder taskStatesChanged = new TaskStatesChangedEncoder();
    public final FrameworkRemovedEncoder frameworkRemoved = new FrameworkRemovedEncoder();
    public final AgentRemovedEncoder agentRemoved = new AgentRemovedEncoder();
    public final RoleConfiguredEncoder roleConfigured = new RoleConfiguredEncoder();
    public final io.corral.codec.sbe.AclSetEncoder aclSet = new io.corral.codec.sbe.AclSetEncoder();

    /** Length of a message whose body encoder reports {@code encodedLength}. */
    public static int length(final int encodedLength)
    {
        return MessageHeaderEncoder.ENCODED_LENGTH + encodedLength;
    }

    /**
     * Sends the first {@code length} bytes of the buffer, retrying back-pressure a few times.
     * Returns true if it was sent; false if the peer is not connected or stays back-pressured.
     */
    public boolean offer(final Publication publication, final int length)
    {
        return offer(publication, buffer, length);
    }

    public static boolean offer(final Publication publication, final MutableDirectBuffer buffer, final int length)
    {
        if (publication == null)
        {
            return false;
        }
        for (int i = 0; i <= MAX_RETRIES; i++)
        {
            final long result = publication.offer(buffer, 0, length);
            if (result > 0)
            {
                return true;
            }
            if (result == Publication.NOT_CONNECTED || result == Publication.CLOSED ||
                result == Publication.MAX_POSITION_EXCEEDED)
            {
                return false;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    public int encodeError(final ErrorCode code, final int inReplyTo, final String message)
    {
        errorReply.wrapAndApplyHeader(buffer, 0, header).code(code).inReplyTo(inReplyTo).message(message);
        return length(errorReply.encodedLength());
    }

    public int encodeNotLeader(final int leaderId, final String leaderEndpoint)
    {
        notLeader.wrapAndApplyHeader(buffer, 0, header).leaderId(leaderId).leaderEndpoint(leaderEndpoint);
        return length(notLeader.encodedLength());
    }
}
