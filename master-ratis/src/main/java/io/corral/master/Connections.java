package io.corral.master;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Publications to agents and frameworks by endpoint, opened on first use. A message that cannot
 * go yet (the publication is still connecting, or back-pressured) waits in a short queue and is
 * retried each duty cycle until its deadline; senders that need delivery retry on their side too.
 */
final class Connections implements Peers, AutoCloseable
{
    private static final long RETRY_FOR_NS = 3_000_000_000L;

    private record Pending(String endpoint, byte[] bytes, long deadlineNs)
    {
    }

    private final Aeron aeron;
    private final Map<String, ExclusivePublication> publications = new HashMap<>();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final UnsafeBuffer retryBuffer = new UnsafeBuffer(new byte[0]);

    Connections(final Aeron aeron)
    {
        this.aeron = aeron;
    }

    private ExclusivePublication publication(final String endpoint)
    {
        ExclusivePublication publication = publications.get(endpoint);
        if (publication == null)
        {
            publication = aeron.addExclusivePublication(Protocol.channel(endpoint), Protocol.STREAM_ID);
            publications.put(endpoint, publication);
        }
        return publication;
    }

    /** Sends the first {@code length} bytes of {@code buffer} to {@code endpoint}. */
    @Override
    public void send(final String endpoint, final org.agrona.DirectBuffer buffer, final int length, final long nowNs)
    {
        if (endpoint == null || endpoint.isEmpty())
        {
            return;
        }
        if (!pending.isEmpty() || !Outbound.offer(publication(endpoint), (org.agrona.MutableDirectBuffer)buffer, length))
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(0, copy);
            pending.add(new Pending(endpoint, copy, nowNs + RETRY_FOR_NS));
        }
    }

    /** Retries what is waiting; returns how many went out. */
    int retry(final long nowNs)
    {
        int sent = 0;
        for (int i = pending.size(); i > 0; i--)
        {
            final Pending p = pending.poll();
            retryBuffer.wrap(p.bytes());
            if (Outbound.offer(publication(p.endpoint()), retryBuffer, p.bytes().length))
            {
                sent++;
            }
            else if (nowNs < p.deadlineNs())
            {
                pending.add(p);
            }
        }
        return sent;
    }

    @Override
    public void close()
    {
        publications.values().forEach(ExclusivePublication::close);
        publications.clear();
        pending.clear();
    }
}
