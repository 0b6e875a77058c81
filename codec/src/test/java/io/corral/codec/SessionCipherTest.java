package io.corral.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;

import io.corral.codec.sbe.MessageHeaderDecoder;
import io.corral.codec.sbe.SealedDecoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class SessionCipherTest
{
    private static final byte[] SECRET = "a secret of the cluster".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CLIENT_NONCE = new byte[16];
    private static final byte[] SERVER_NONCE = new byte[16];

    static
    {
        CLIENT_NONCE[0] = 1;
        SERVER_NONCE[0] = 2;
    }

    private final byte[] key = SessionCipher.sessionKey(SECRET, "ops", "127.0.0.1:40000", CLIENT_NONCE,
        SERVER_NONCE);
    private final SessionCipher client = SessionCipher.client(7, key);
    private final SessionCipher master = SessionCipher.master(7, key);
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final SealedDecoder decoder = new SealedDecoder();
    private final UnsafeBuffer inner = new UnsafeBuffer(0, 0);

    private ExpandableArrayBuffer seal(final SessionCipher from, final String text)
    {
        final UnsafeBuffer message = new UnsafeBuffer(text.getBytes(StandardCharsets.UTF_8));
        final ExpandableArrayBuffer out = new ExpandableArrayBuffer(256);
        from.seal(message, 0, message.capacity(), out);
        return out;
    }

    private SessionCipher.Opened open(final SessionCipher at, final ExpandableArrayBuffer frame)
    {
        header.wrap(frame, 0);
        decoder.wrap(frame, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
        return at.open(decoder, frame, 0, inner);
    }

    @Test
    void theOtherEndOpensWhatOneEndSealsAndSeesTheMessage()
    {
        final ExpandableArrayBuffer frame = seal(client, "heartbeat");
        assertEquals(SessionCipher.Opened.OK, open(master, frame));
        assertEquals("heartbeat", inner.getStringWithoutLengthUtf8(0, inner.capacity()));
        assertEquals(SessionCipher.Opened.OK, open(client, seal(master, "offer")));
    }

    @Test
    void aChangedByteAnywhereIsABadMacAndDoesNotAdvanceTheSequence()
    {
        final ExpandableArrayBuffer frame = seal(client, "kill task-1");
        final int length = SessionCipher.overhead() + "kill task-1".length();
        for (int i = 0; i < length; i++)
        {
            final ExpandableArrayBuffer copy = new ExpandableArrayBuffer(256);
            copy.putBytes(0, frame, 0, length);
            copy.putByte(i, (byte) (copy.getByte(i) ^ 0x40));
            try
            {
                assertNotEquals(SessionCipher.Opened.OK, open(master, copy), "byte " + i + " changed");
            }
            catch (final IndexOutOfBoundsException lengthFieldChanged)
            {
                // A changed length runs past the frame: the adapter's frame check refuses it first.
            }
        }
        assertEquals(SessionCipher.Opened.OK, open(master, frame), "the true frame still opens");
    }

    @Test
    void aFrameSentAgainOrOutOfOrderIsRefused()
    {
        final ExpandableArrayBuffer first = seal(client, "accept 1");
        final ExpandableArrayBuffer second = seal(client, "accept 2");
        assertEquals(SessionCipher.Opened.OK, open(master, second));
        assertEquals(SessionCipher.Opened.REPLAYED, open(master, first), "older than one already read");
        assertEquals(SessionCipher.Opened.REPLAYED, open(master, second), "the same one again");
        assertEquals(SessionCipher.Opened.OK, open(master, seal(client, "accept 3")));
    }

    @Test
    void keysDependOnSecretPrincipalEndpointAndDirection()
    {
        final SessionCipher wrongSecret = SessionCipher.master(7, SessionCipher.sessionKey(
            "another".getBytes(StandardCharsets.UTF_8), "ops", "127.0.0.1:40000", CLIENT_NONCE, SERVER_NONCE));
        final SessionCipher otherEndpoint = SessionCipher.master(7, SessionCipher.sessionKey(SECRET, "ops",
            "127.0.0.1:40001", CLIENT_NONCE, SERVER_NONCE));
        assertEquals(SessionCipher.Opened.BAD_MAC, open(wrongSecret, seal(client, "x")));
        assertEquals(SessionCipher.Opened.BAD_MAC, open(otherEndpoint, seal(client, "x")));
        // A frame the master sealed cannot be reflected back to it as if the client sent it.
        assertEquals(SessionCipher.Opened.BAD_MAC, open(master, seal(SessionCipher.master(7, key), "x")));
    }
}
