package io.corral.codec;

import io.corral.codec.sbe.StatusAckDecoder;
import io.corral.codec.sbe.RunTaskDecoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.KillTaskDecoder;
import io.corral.codec.sbe.ErrorReplyDecoder;
import io.corral.codec.sbe.AgentRegisteredDecoder;
import org.agrona.DirectBuffer;

/**
 * Decodes what a master sends to an agent. Checks schema and version, switches on the template id and hands the wrapped
 * decoder to the handler, which must not keep it after the call. Unknown or malformed frames
 * go to {@link Handler#onBadFrame}; a decoding failure never escapes.
 */
public final class AgentInbound extends InboundAdapter
{
    /** Callbacks, one per message this endpoint accepts. {@code sessionId} identifies the sender's stream. */
    public interface Handler
    {
        void onAgentRegistered(AgentRegisteredDecoder message, int sessionId);

        void onNotLeader(NotLeaderDecoder message, int sessionId);

        void onRunTask(RunTaskDecoder message, int sessionId);

        void onKillTask(KillTaskDecoder message, int sessionId);

        void onStatusAck(StatusAckDecoder message, int sessionId);

        void onErrorReply(ErrorReplyDecoder message, int sessionId);

        /** A frame that could not be decoded, or is not a message this endpoint accepts. */
        void onBadFrame(int sessionId, int templateId, String problem);
    }

    private final Handler handler;
    private final AgentRegisteredDecoder agentRegistered = new AgentRegisteredDecoder();
    private final NotLeaderDecoder notLeader = new NotLeaderDecoder();
    private final RunTaskDecoder runTask = new RunTaskDecoder();
    private final KillTaskDecoder killTask = new KillTaskDecoder();
    private final StatusAckDecoder statusAck = new StatusAckDecoder();
    private final ErrorReplyDecoder errorReply = new ErrorReplyDecoder();

    public AgentInbound(final Handler handler)
    {
        this.handler = handler;
    }

    @Override
    protected boolean dispatch(final int templateId, final DirectBuffer buffer, final int offset, final int blockLength,
        final int version, final int sessionId)
    {
        switch (templateId)
        {
            case AgentRegisteredDecoder.TEMPLATE_ID -> handler.onAgentRegistered(checked(agentRegistered.wrap(buffer, offset, blockLength, version)), sessionId);
            case NotLeaderDecoder.TEMPLATE_ID -> handler.onNotLeader(checked(notLeader.wrap(buffer, offset, blockLength, version)), sessionId);
            case RunTaskDecoder.TEMPLATE_ID -> handler.onRunTask(checked(runTask.wrap(buffer, offset, blockLength, version)), sessionId);
            case KillTaskDecoder.TEMPLATE_ID -> handler.onKillTask(checked(killTask.wrap(buffer, offset, blockLength, version)), sessionId);
            case StatusAckDecoder.TEMPLATE_ID -> handler.onStatusAck(checked(statusAck.wrap(buffer, offset, blockLength, version)), sessionId);
            case ErrorReplyDecoder.TEMPLATE_ID -> handler.onErrorReply(checked(errorReply.wrap(buffer, offset, blockLength, version)), sessionId);
            default ->
            {
                return false;
            }
        }
        return true;
    }

    @Override
    protected void badFrame(final int sessionId, final int templateId, final String problem)
    {
        handler.onBadFrame(sessionId, templateId, problem);
    }
}
