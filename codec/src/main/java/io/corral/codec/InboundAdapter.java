package io.corral.codec;

import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.corral.codec.sbe.MessageHeaderDecoder;
import org.agrona.DirectBuffer;

/**
 * The common part of every endpoint's adapter: check schema and version, hand the body to
 * {@link #dispatch}, and turn anything that does not decode into {@link #badFrame} instead of an
 * exception that would reach the duty cycle.
 */
abstract class InboundAdapter implements FragmentHandler
{
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();

    @Override
    public final void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header aeronHeader)
    {
        final int sessionId = aeronHeader.sessionId();
        final String problem = FrameCheck.problem(header, buffer, offset, length);
        if (problem != null)
        {
            badFrame(sessionId, length >= MessageHeaderDecoder.ENCODED_LENGTH ? header.templateId() : -1, problem);
            return;
        }
        final int templateId = header.templateId();
        try
        {
            if (!dispatch(templateId, buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(),
                header.version(), sessionId))
            {
                badFrame(sessionId, templateId, "template " + templateId + " is not a message this endpoint accepts");
            }
        }
        catch (final RuntimeException ex)
        {
            badFrame(sessionId, templateId, "could not decode template " + templateId + ": " + ex);
        }
    }

    /** Decodes and handles one message; returns false if this endpoint does not accept the template. */
    protected abstract boolean dispatch(int templateId, DirectBuffer buffer, int offset, int blockLength, int version,
        int sessionId);

    protected abstract void badFrame(int sessionId, int templateId, String problem);
}
