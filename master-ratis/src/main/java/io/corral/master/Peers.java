package io.corral.master;

import org.agrona.DirectBuffer;

/**
 * Where the master's messages to agents and frameworks go: {@link Connections} (Aeron) in a
 * master, a recording sink in tests and benchmarks. Owned by the duty thread.
 */
public interface Peers
{
    /** Sends the first {@code length} bytes of {@code buffer} to {@code endpoint} (null or empty: nowhere). */
    void send(String endpoint, DirectBuffer buffer, int length, long nowNs);

    /**
     * As {@link #send}, to a peer that has not authenticated (a challenge, a redirect, a refusal):
     * the link made for it, if any, is provisional (capped in number, closed soon when idle).
     */
    default void sendUnauthenticated(final String endpoint, final DirectBuffer buffer, final int length,
        final long nowNs)
    {
        send(endpoint, buffer, length, nowNs);
    }

    /**
     * As {@link #send}, for the leader's own announcement that it leads (once a term to each
     * endpoint the replicated state names): sealed where there is a session; where there is none
     * (this master restarted and has not heard from the peer yet) it goes unauthenticated, like
     * any redirect, but it answers no one, so no stranger's budget pays for it.
     */
    default void announce(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
    {
        send(endpoint, buffer, length, nowNs);
    }
}
