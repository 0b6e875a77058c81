package io.corral.codec;

import io.corral.codec.sbe.ReconcileDecoder;
import io.corral.codec.sbe.TeardownDecoder;
import io.corral.codec.sbe.SubscribeDecoder;
import io.corral.codec.sbe.StatusUpdateDecoder;
import io.corral.codec.sbe.RegisterAgentDecoder;
import io.corral.codec.sbe.KillDecoder;
import io.corral.codec.sbe.DeclineDecoder;
import io.corral.codec.sbe.AgentHeartbeatDecoder;
import io.corral.codec.sbe.AcknowledgeDecoder;
import io.corral.codec.sbe.AcceptDecoder;
import org.agrona.DirectBuffer;

/**
 * Decodes what agents and frameworks send to a master. Checks schema and version, switches on the template id and hands the wrapped
 * decoder to the handler, which must not keep it after the call. Unknown or malformed frames
 * go to {@link Handler#onBadFrame}; a decoding failure never escapes.
 */
public final class MasterInbound extends InboundAdapter
{
    /** Callbacks, one per message this endpoint accepts. {@code sessionId} identifies the sender's stream. */
    public interface Handler
    {
        void onRegisterAgent(RegisterAgentDecoder message, int sessionId);

        void onAgentHeartbeat(AgentHeartbeatDecoder message, int sessionId);

        /** Part of a task list too long for one RegisterAgent (the registration follows). */
        void onAgentTasks(io.corral.codec.sbe.AgentTasksDecoder message, int sessionId);

        void onStatusUpdate(StatusUpdateDecoder message, int sessionId);

        void onSubscribe(SubscribeDecoder message, int sessionId);

        void onAccept(AcceptDecoder message, int sessionId);

        void onDecline(DeclineDecoder message, int sessionId);

        void onKill(KillDecoder message, int sessionId);

        void onAcknowledge(AcknowledgeDecoder message, int sessionId);

        void onTeardown(TeardownDecoder message, int sessionId);

        void onReconcile(ReconcileDecoder message, int sessionId);

        void onSuppress(io.corral.codec.sbe.SuppressDecoder message, int sessionId);

        /** A client opens an authenticated session (only a master with credentials gets these through). */
        default void onHello(io.corral.codec.sbe.HelloDecoder message, int sessionId)
        {
        }

        /** A frame that could not be decoded, or is not a message this endpoint accepts. */
        void onBadFrame(int sessionId, int templateId, String problem);
    }

    private final Handler handler;
    private final RegisterAgentDecoder registerAgent = new RegisterAgentDecoder();
    private final AgentHeartbeatDecoder agentHeartbeat = new AgentHeartbeatDecoder();
    private final io.corral.codec.sbe.AgentTasksDecoder agentTasks = new io.corral.codec.sbe.AgentTasksDecoder();
    private final StatusUpdateDecoder statusUpdate = new StatusUpdateDecoder();
    private final SubscribeDecoder subscribe = new SubscribeDecoder();
    private final AcceptDecoder accept = new AcceptDecoder();
    private final DeclineDecoder decline = new DeclineDecoder();
    private final KillDecoder kill = new KillDecoder();
    private final AcknowledgeDecoder acknowledge = new AcknowledgeDecoder();
    private final TeardownDecoder teardown = new TeardownDecoder();
    private final ReconcileDecoder reconcile = new ReconcileDecoder();
    private final io.corral.codec.sbe.SuppressDecoder suppress = new io.corral.codec.sbe.SuppressDecoder();
    private final io.corral.codec.sbe.HelloDecoder hello = new io.corral.codec.sbe.HelloDecoder();

    public MasterInbound(final Handler handler)
    {
        this.handler = handler;
    }

    @Override
    protected boolean dispatch(final int templateId, final DirectBuffer buffer, final int offset, final int blockLength,
        final int version, final int sessionId)
    {
        switch (templateId)
        {
            case RegisterAgentDecoder.TEMPLATE_ID -> handler.onRegisterAgent(checked(registerAgent.wrap(buffer, offset, blockLength, version)), sessionId);
            case AgentHeartbeatDecoder.TEMPLATE_ID -> handler.onAgentHeartbeat(checked(agentHeartbeat.wrap(buffer, offset, blockLength, version)), sessionId);
            case io.corral.codec.sbe.AgentTasksDecoder.TEMPLATE_ID -> handler.onAgentTasks(checked(agentTasks.wrap(buffer, offset, blockLength, version)), sessionId);
            case StatusUpdateDecoder.TEMPLATE_ID -> handler.onStatusUpdate(checked(statusUpdate.wrap(buffer, offset, blockLength, version)), sessionId);
            case SubscribeDecoder.TEMPLATE_ID -> handler.onSubscribe(checked(subscribe.wrap(buffer, offset, blockLength, version)), sessionId);
            case AcceptDecoder.TEMPLATE_ID -> handler.onAccept(checked(accept.wrap(buffer, offset, blockLength, version)), sessionId);
            case DeclineDecoder.TEMPLATE_ID -> handler.onDecline(checked(decline.wrap(buffer, offset, blockLength, version)), sessionId);
            case KillDecoder.TEMPLATE_ID -> handler.onKill(checked(kill.wrap(buffer, offset, blockLength, version)), sessionId);
            case AcknowledgeDecoder.TEMPLATE_ID -> handler.onAcknowledge(checked(acknowledge.wrap(buffer, offset, blockLength, version)), sessionId);
            case TeardownDecoder.TEMPLATE_ID -> handler.onTeardown(checked(teardown.wrap(buffer, offset, blockLength, version)), sessionId);
            case ReconcileDecoder.TEMPLATE_ID -> handler.onReconcile(checked(reconcile.wrap(buffer, offset, blockLength, version)), sessionId);
            case io.corral.codec.sbe.SuppressDecoder.TEMPLATE_ID -> handler.onSuppress(checked(suppress.wrap(buffer, offset, blockLength, version)), sessionId);
            case io.corral.codec.sbe.HelloDecoder.TEMPLATE_ID -> handler.onHello(checked(hello.wrap(buffer, offset, blockLength, version)), sessionId);
            default ->
            {
                return false;
            }
        }
        return true;
    }

    /** True for a message a master accepts (a bad frame of one is malformed, not unknown). */
    public static boolean isKnownTemplate(final int templateId)
    {
        return switch (templateId)
        {
            case RegisterAgentDecoder.TEMPLATE_ID, AgentHeartbeatDecoder.TEMPLATE_ID, StatusUpdateDecoder.TEMPLATE_ID,
                io.corral.codec.sbe.AgentTasksDecoder.TEMPLATE_ID,
                SubscribeDecoder.TEMPLATE_ID, AcceptDecoder.TEMPLATE_ID, DeclineDecoder.TEMPLATE_ID,
                KillDecoder.TEMPLATE_ID, AcknowledgeDecoder.TEMPLATE_ID, TeardownDecoder.TEMPLATE_ID,
                ReconcileDecoder.TEMPLATE_ID, io.corral.codec.sbe.SuppressDecoder.TEMPLATE_ID,
                io.corral.codec.sbe.HelloDecoder.TEMPLATE_ID -> true;
            default -> false;
        };
    }

    @Override
    protected void badFrame(final int sessionId, final int templateId, final String problem)
    {
        handler.onBadFrame(sessionId, templateId, problem);
    }
}
