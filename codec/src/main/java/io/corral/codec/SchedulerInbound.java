package io.corral.codec;

import io.corral.codec.sbe.TaskStatusDecoder;
import io.corral.codec.sbe.SubscribedDecoder;
import io.corral.codec.sbe.OfferRescindedDecoder;
import io.corral.codec.sbe.OfferDecoder;
import io.corral.codec.sbe.NotLeaderDecoder;
import io.corral.codec.sbe.ErrorReplyDecoder;
import org.agrona.DirectBuffer;

/**
 * Decodes what a master sends to a framework. Checks schema and version, switches on the template id and hands the wrapped
 * decoder to the handler, which must not keep it after the call. Unknown or malformed frames
 * go to {@link Handler#onBadFrame}; a decoding failure never escapes.
 */
public final class SchedulerInbound extends InboundAdapter
{
    /** Callbacks, one per message this endpoint accepts. {@code sessionId} identifies the sender's stream. */
    public interface Handler
    {
        void onSubscribed(SubscribedDecoder message, int sessionId);

        void onNotLeader(NotLeaderDecoder message, int sessionId);

        void onOffer(OfferDecoder message, int sessionId);

        void onTaskStatus(TaskStatusDecoder message, int sessionId);

        void onOfferRescinded(OfferRescindedDecoder message, int sessionId);

        void onErrorReply(ErrorReplyDecoder message, int sessionId);

        void onAgentLost(io.corral.codec.sbe.AgentLostDecoder message, int sessionId);

        /** A frame that could not be decoded, or is not a message this endpoint accepts. */
        void onBadFrame(int sessionId, int templateId, String problem);
    }

    private final Handler handler;
    private final SubscribedDecoder subscribed = new SubscribedDecoder();
    private final NotLeaderDecoder notLeader = new NotLeaderDecoder();
    private final OfferDecoder offer = new OfferDecoder();
    private final TaskStatusDecoder taskStatus = new TaskStatusDecoder();
    private final OfferRescindedDecoder offerRescinded = new OfferRescindedDecoder();
    private final ErrorReplyDecoder errorReply = new ErrorReplyDecoder();
    private final io.corral.codec.sbe.AgentLostDecoder agentLost = new io.corral.codec.sbe.AgentLostDecoder();

    public SchedulerInbound(final Handler handler)
    {
        this.handler = handler;
    }

    @Override
    protected boolean dispatch(final int templateId, final DirectBuffer buffer, final int offset, final int blockLength,
        final int version, final int sessionId)
    {
        switch (templateId)
        {
            case SubscribedDecoder.TEMPLATE_ID -> handler.onSubscribed(checked(subscribed.wrap(buffer, offset, blockLength, version)), sessionId);
            case NotLeaderDecoder.TEMPLATE_ID -> handler.onNotLeader(checked(notLeader.wrap(buffer, offset, blockLength, version)), sessionId);
            case OfferDecoder.TEMPLATE_ID -> handler.onOffer(checked(offer.wrap(buffer, offset, blockLength, version)), sessionId);
            case TaskStatusDecoder.TEMPLATE_ID -> handler.onTaskStatus(checked(taskStatus.wrap(buffer, offset, blockLength, version)), sessionId);
            case OfferRescindedDecoder.TEMPLATE_ID -> handler.onOfferRescinded(checked(offerRescinded.wrap(buffer, offset, blockLength, version)), sessionId);
            case ErrorReplyDecoder.TEMPLATE_ID -> handler.onErrorReply(checked(errorReply.wrap(buffer, offset, blockLength, version)), sessionId);
            case io.corral.codec.sbe.AgentLostDecoder.TEMPLATE_ID -> handler.onAgentLost(checked(agentLost.wrap(buffer, offset, blockLength, version)), sessionId);
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
