package io.corral.codec;

import java.nio.charset.StandardCharsets;

import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.MessageHeaderEncoder;
import io.corral.codec.sbe.SealedDecoder;
import io.corral.codec.sbe.SealedEncoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One authenticated session's two directions: seals what this side sends (a sequence number and a
 * MAC under its sending key) and opens what it receives (the MAC checked in constant time, then
 * the sequence number must be above every one accepted before, so a captured frame sent again, or
 * one sent out of order, is refused). Keys come from {@link #sessionKey}; the client sends with
 * the "up" key and the master with the "down" key. Allocates nothing per message. One thread.
 */
public final class SessionCipher
{
    /** Bytes of HMAC-SHA256 kept as a message's MAC: 128 bits. */
    public static final int MAC_LENGTH = 16;

    public enum Opened
    {
        OK, BAD_MAC, REPLAYED
    }

    private final long session;
    private final Hmac sendMac;
    private final Hmac receiveMac;
    private final SealedEncoder encoder = new SealedEncoder();
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final byte[] tag = new byte[MAC_LENGTH];
    private final byte[] given = new byte[MAC_LENGTH];
    private long sent;
    private long received;

    private SessionCipher(final long session, final byte[] sendKey, final byte[] receiveKey)
    {
        this.session = session;
        this.sendMac = new Hmac(sendKey);
        this.receiveMac = new Hmac(receiveKey);
    }

    /** The client's end of a session established with {@code sessionKey}. */
    public static SessionCipher client(final long session, final byte[] sessionKey)
    {
        return new SessionCipher(session, direction(sessionKey, "up"), direction(sessionKey, "down"));
    }

    /** The master's end. */
    public static SessionCipher master(final long session, final byte[] sessionKey)
    {
        return new SessionCipher(session, direction(sessionKey, "down"), direction(sessionKey, "up"));
    }

    /**
     * The session key both sides derive: HMAC-SHA256 under the principal's secret over the
     * principal, the client's endpoint (so a session belongs to one endpoint) and both nonces.
     */
    public static byte[] sessionKey(final byte[] secret, final String principal, final String endpoint,
        final byte[] clientNonce, final byte[] serverNonce)
    {
        return new Hmac(secret).start().update("corral-session-v1\0").update(principal).update("\0")
            .update(endpoint).update("\0").update(clientNonce).update(serverNonce).finish();
    }

    private static byte[] direction(final byte[] sessionKey, final String label)
    {
        return new Hmac(sessionKey).start().update(label.getBytes(StandardCharsets.US_ASCII)).finish();
    }

    public long session()
    {
        return session;
    }

    /**
     * Writes {@code length} bytes of {@code message} from {@code offset} into {@code out} from 0 as a
     * Sealed frame and returns its length.
     */
    public int seal(final DirectBuffer message, final int offset, final int length, final MutableDirectBuffer out)
    {
        encoder.wrapAndApplyHeader(out, 0, header).session(session).sequence(++sent).putFrame(message, offset, length);
        final int macAt = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        sendMac.start().update(out, 0, macAt).finish(tag, 0, MAC_LENGTH);
        encoder.putMac(tag, 0, MAC_LENGTH);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    /**
     * Checks a Sealed frame that starts at {@code frameOffset} of {@code buffer}, {@code decoder}
     * wrapped on it just after its header and not yet read past its fixed fields; on
     * {@link Opened#OK} {@code inner} views the message it carries.
     */
    public Opened open(final SealedDecoder decoder, final DirectBuffer buffer, final int frameOffset,
        final UnsafeBuffer inner)
    {
        final long sequence = decoder.sequence();
        decoder.wrapFrame(inner);
        final int macAt = decoder.limit();
        if (decoder.macLength() != MAC_LENGTH)
        {
            return Opened.BAD_MAC;
        }
        decoder.getMac(given, 0, MAC_LENGTH);
        receiveMac.start().update(buffer, frameOffset, macAt - frameOffset).finish(tag, 0, MAC_LENGTH);
        if (!Hmac.same(tag, 0, given, 0, MAC_LENGTH))
        {
            return Opened.BAD_MAC;
        }
        if (sequence <= received)
        {
            return Opened.REPLAYED;
        }
        received = sequence;
        return Opened.OK;
    }

    /** The header length a Sealed frame adds before the message it carries. */
    public static int overhead()
    {
        return MessageHeaderDecoder.ENCODED_LENGTH + SealedDecoder.BLOCK_LENGTH + SealedDecoder.frameHeaderLength() +
            SealedDecoder.macHeaderLength() + MAC_LENGTH;
    }
}
