package io.corral.master;

import io.corral.codec.Outbound;
import io.corral.codec.sbe.ErrorCode;

/**
 * What the master sends, encoded in exactly one place per message kind over pre-allocated
 * encoders ({@link Outbound}): the replies every peer can get (an error, "not the leader"), and,
 * in {@link AgentPublisher} and {@link FrameworkPublisher}, what only agents or frameworks get.
 * Owned by the duty thread; nothing is allocated to send.
 */
abstract class Publisher
{
    protected final Peers peers;
    protected final Outbound out = new Outbound();
    protected final ResourceVectors vectors;

    Publisher(final Peers peers, final ResourceVectors vectors)
    {
        this.peers = peers;
        this.vectors = vectors;
    }

    /** A refused request: {@code message} says why and what to do. */
    final void error(final String endpoint, final ErrorCode code, final int inReplyTo, final String message,
        final long nowNs)
    {
        send(endpoint, out.encodeError(code, inReplyTo, message), nowNs);
    }

    /** This master does not lead: who does ({@code leaderId} 0 and "" if none is known). */
    final void notLeader(final String endpoint, final int leaderId, final String leaderEndpoint, final long nowNs)
    {
        send(endpoint, out.encodeNotLeader(leaderId, leaderEndpoint), nowNs);
    }

    /**
     * This master leads now: told once a term to each endpoint the state names, also to peers it
     * has no session with yet (see {@link Peers#announce}).
     */
    final void announceLeader(final String endpoint, final int leaderId, final String leaderEndpoint, final long nowNs)
    {
        peers.announce(endpoint, out.buffer, out.encodeNotLeader(leaderId, leaderEndpoint), nowNs);
    }

    private String encoded;
    private final org.agrona.concurrent.UnsafeBuffer encodedBytes = new org.agrona.concurrent.UnsafeBuffer(new byte[0]);

    /** The UTF-8 bytes of a string sent over and over (this master's address): encoded once. */
    protected final org.agrona.DirectBuffer utf8(final String value)
    {
        if (!value.equals(encoded))
        {
            encodedBytes.wrap(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            encoded = value;
        }
        return encodedBytes;
    }

    private final org.agrona.ExpandableArrayBuffer textBytes = new org.agrona.ExpandableArrayBuffer(256);
    private final org.agrona.concurrent.UnsafeBuffer textView = new org.agrona.concurrent.UnsafeBuffer(0, 0);

    /** The UTF-8 bytes of a string that changes from message to message (a hostname): no allocation when it is ASCII. */
    protected final org.agrona.DirectBuffer text(final String value)
    {
        for (int i = 0; i < value.length(); i++)
        {
            if (value.charAt(i) >= 0x80)
            {
                final byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                textBytes.putBytes(0, bytes);
                textView.wrap(textBytes, 0, bytes.length);
                return textView;
            }
        }
        textBytes.putStringWithoutLengthAscii(0, value);
        textView.wrap(textBytes, 0, value.length());
        return textView;
    }

    protected final void send(final String endpoint, final int length, final long nowNs)
    {
        peers.send(endpoint, out.buffer, length, nowNs);
    }
}
