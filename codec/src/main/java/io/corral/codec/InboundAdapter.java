package io.corral.codec;

import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.corral.codec.sbe.MessageHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.sbe.MessageDecoderFlyweight;

/**
 * The common part of every endpoint's adapter: check schema and version, hand the body to
 * {@link #dispatch}, and turn anything that does not decode into {@link #badFrame} instead of an
 * exception that would reach the duty cycle.
 *
 * <p>Decoders only ever see a view of exactly the frame's bytes, and {@link #checked} walks a
 * message's lengths (var data, groups) before any field is read: a length that points past the
 * frame is refused there, so no decoder allocates what a frame claims (a 1 GiB string field).
 */
abstract class InboundAdapter implements FragmentHandler
{
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    private int frameLength;

    /** A frame whose lengths do not fit in it. */
    static final class FrameLengthException extends RuntimeException
    {
        FrameLengthException(final String message)
        {
            super(message, null, false, false);
        }
    }

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
        frame.wrap(buffer, offset, length);
        frameLength = length;
        try
        {
            if (!dispatch(templateId, frame, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(),
                header.version(), sessionId))
            {
                badFrame(sessionId, templateId, "template " + templateId + " is not a message this endpoint accepts");
            }
        }
        catch (final FrameLengthException ex)
        {
            badFrame(sessionId, templateId, ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            badFrame(sessionId, templateId, "could not decode template " + templateId + ": " + ex);
        }
        finally
        {
            frame.wrap(0, 0);
        }
    }

    /**
     * Checks that every length in the wrapped message stays inside the frame, before the handler
     * reads a field; returns the decoder, or throws {@link FrameLengthException} naming the problem.
     */
    protected final <D extends MessageDecoderFlyweight> D checked(final D decoder)
    {
        final int decoded;
        try
        {
            decoded = decoder.sbeDecodedLength();
        }
        catch (final IndexOutOfBoundsException ex)
        {
            throw new FrameLengthException("template " + decoder.sbeTemplateId() + ": a length field points past the " +
                "end of the " + frameLength + "-byte frame");
        }
        final int end = MessageHeaderDecoder.ENCODED_LENGTH + decoded;
        if (decoded < 0 || end > frameLength)
        {
            throw new FrameLengthException("template " + decoder.sbeTemplateId() + ": its fields claim " +
                (decoded < 0 ? "a negative length" : end + " bytes") + " but the frame has " + frameLength);
        }
        return decoder;
    }

    /** Decodes and handles one message; returns false if this endpoint does not accept the template. */
    protected abstract boolean dispatch(int templateId, DirectBuffer buffer, int offset, int blockLength, int version,
        int sessionId);

    protected abstract void badFrame(int sessionId, int templateId, String problem);
}
