package io.corral.codec;

import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.corral.codec.sbe.AuthFailedDecoder;
import io.corral.codec.sbe.ChallengeDecoder;
import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.SealedDecoder;
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
public abstract class InboundAdapter implements FragmentHandler
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

    /**
     * Who may speak to this endpoint: set on an endpoint that authenticates its peers
     * ({@link Seal} on clients, the master's sessions). Without one every message is taken as it comes.
     */
    public interface Gate
    {
        /** True if a message of this template may arrive outside a session (handshakes, redirects). */
        boolean admitsUnsealed(int templateId);

        /**
         * Opens a Sealed frame (its decoder wrapped and its lengths checked): true with {@code inner}
         * viewing the message it carries; false if refused (the gate counts it and answers if useful).
         */
        boolean open(SealedDecoder sealed, DirectBuffer frame, UnsafeBuffer inner, int aeronSession);

        /** A message outside any session that {@link #admitsUnsealed} does not admit: dropped. */
        void refusedUnsealed(int templateId, int aeronSession);

        /** After the message a Sealed frame carried was handled. */
        default void done()
        {
        }

        /**
         * A frame arrives ({@code header}: Aeron's, read only during the call; its context is the
         * sender's Image), or has been handled ({@code null}): who any answer made meanwhile is for.
         */
        default void arrived(final Header header)
        {
        }

        /** The master's answer to this side's Hello. */
        default void onChallenge(ChallengeDecoder challenge)
        {
        }

        /** The master refused or forgot a session. */
        default void onAuthFailed(AuthFailedDecoder failed)
        {
        }
    }

    private Gate gate;
    private final SealedDecoder sealed = new SealedDecoder();
    private final ChallengeDecoder challenge = new ChallengeDecoder();
    private final AuthFailedDecoder authFailed = new AuthFailedDecoder();
    private final UnsafeBuffer inner = new UnsafeBuffer(0, 0);

    /** Authenticates what arrives from now on (null: nobody is checked). Before the first poll. */
    public final void gate(final Gate gate)
    {
        this.gate = gate;
    }

    @Override
    public final void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header aeronHeader)
    {
        if (gate == null)
        {
            handle(buffer, offset, length, aeronHeader);
            return;
        }
        gate.arrived(aeronHeader);
        try
        {
            handle(buffer, offset, length, aeronHeader);
        }
        finally
        {
            gate.arrived(null);
        }
    }

    private void handle(final DirectBuffer buffer, final int offset, final int length, final Header aeronHeader)
    {
        final int sessionId = aeronHeader.sessionId();
        final String problem = FrameCheck.problem(header, buffer, offset, length);
        if (problem != null)
        {
            badFrame(sessionId, length >= MessageHeaderDecoder.ENCODED_LENGTH ? header.templateId() : -1, problem);
            return;
        }
        final int templateId = header.templateId();
        if (templateId == SealedDecoder.TEMPLATE_ID)
        {
            if (gate == null)
            {
                badFrame(sessionId, templateId, "an authenticated (sealed) frame, but this endpoint runs without " +
                    "credentials: start the sender without a credential, or this side with one");
                return;
            }
            frame.wrap(buffer, offset, length);
            frameLength = length;
            boolean opened = false;
            try
            {
                checked(sealed.wrap(frame, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version()));
                opened = gate.open(sealed, frame, inner, sessionId);
            }
            catch (final RuntimeException ex)
            {
                badFrame(sessionId, templateId, ex instanceof FrameLengthException ? ex.getMessage() :
                    "could not decode a sealed frame: " + ex);
            }
            finally
            {
                frame.wrap(0, 0);
            }
            if (opened)
            {
                try
                {
                    deliver(inner, 0, inner.capacity(), sessionId, true);
                }
                finally
                {
                    inner.wrap(0, 0);
                    gate.done();
                }
            }
            return;
        }
        if (gate != null && !gate.admitsUnsealed(templateId))
        {
            gate.refusedUnsealed(templateId, sessionId);
            return;
        }
        deliver(buffer, offset, length, sessionId, false);
    }

    private void deliver(final DirectBuffer buffer, final int offset, final int length, final int sessionId,
        final boolean wasSealed)
    {
        if (wasSealed)
        {
            final String problem = FrameCheck.problem(header, buffer, offset, length);
            if (problem != null)
            {
                badFrame(sessionId, length >= MessageHeaderDecoder.ENCODED_LENGTH ? header.templateId() : -1, problem);
                return;
            }
        }
        final int templateId = header.templateId();
        if (templateId == io.corral.codec.sbe.BundleDecoder.TEMPLATE_ID)
        {
            unbundle(buffer, offset, length, sessionId, wasSealed);
            return;
        }
        frame.wrap(buffer, offset, length);
        frameLength = length;
        try
        {
            final boolean handshake = !wasSealed && gate != null && handshake(templateId, header.blockLength(),
                header.version());
            if (!handshake && (templateId == SealedDecoder.TEMPLATE_ID || !dispatch(templateId, frame,
                MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version(), sessionId)))
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
     * A Bundle: each message it carries is handled in order as if it had come alone (in the same
     * session, if the bundle came sealed). A bundle inside a bundle, a sealed frame or a handshake
     * inside one, or a length that does not fit, is a bad frame; what came before it is handled.
     */
    private void unbundle(final DirectBuffer buffer, final int offset, final int length, final int sessionId,
        final boolean wasSealed)
    {
        final int templateId = io.corral.codec.sbe.BundleDecoder.TEMPLATE_ID;
        if (inBundle)
        {
            badFrame(sessionId, templateId, "a bundle inside a bundle");
            return;
        }
        if (length < Bundle.FIRST_OFFSET || header.blockLength() != 0)
        {
            badFrame(sessionId, templateId, "a bundle of " + length + " bytes is too short for its header");
            return;
        }
        final int count = buffer.getShort(offset + Bundle.FIRST_OFFSET - 2, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        int at = Bundle.FIRST_OFFSET;
        inBundle = true;
        try
        {
            for (int i = 0; i < count; i++)
            {
                if (at + 4 > length)
                {
                    badFrame(sessionId, templateId, "bundle message " + i + " of " + count + " starts past its end");
                    return;
                }
                final int n = buffer.getInt(offset + at, java.nio.ByteOrder.LITTLE_ENDIAN);
                if (n < MessageHeaderDecoder.ENCODED_LENGTH || n > length - at - 4)
                {
                    badFrame(sessionId, templateId, "bundle message " + i + " of " + count + " claims " + n +
                        " bytes; " + (length - at - 4) + " are left");
                    return;
                }
                final int inner = offset + at + 4;
                final int innerTemplate = buffer.getShort(inner + 2, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
                if (innerTemplate == SealedDecoder.TEMPLATE_ID || innerTemplate == ChallengeDecoder.TEMPLATE_ID ||
                    innerTemplate == AuthFailedDecoder.TEMPLATE_ID ||
                    innerTemplate == io.corral.codec.sbe.HelloDecoder.TEMPLATE_ID)
                {
                    badFrame(sessionId, innerTemplate, "template " + innerTemplate + " cannot travel in a bundle");
                }
                else
                {
                    deliver(buffer, inner, n, sessionId, true);
                }
                at += 4 + n;
            }
        }
        finally
        {
            inBundle = false;
        }
    }

    private boolean inBundle;

    private boolean handshake(final int templateId, final int blockLength, final int version)
    {
        final int at = MessageHeaderDecoder.ENCODED_LENGTH;
        switch (templateId)
        {
            case ChallengeDecoder.TEMPLATE_ID -> gate.onChallenge(checked(challenge.wrap(frame, at, blockLength, version)));
            case AuthFailedDecoder.TEMPLATE_ID -> gate.onAuthFailed(checked(authFailed.wrap(frame, at, blockLength, version)));
            default ->
            {
                return false;
            }
        }
        return true;
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
