package io.corral.master;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.corral.codec.Outbound;
import io.corral.codec.Protocol;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Publications to agents and frameworks by endpoint, opened on first use and closed after
 * {@link #IDLE_CLOSE_NS} without a message (the driver walks every publication on every cycle: a
 * follower kept one open for each endpoint it ever told "not the leader", 500 of them at 50,000
 * simulated agents, and spent two thirds of its time walking them). A message that cannot
 * go yet (the publication is still connecting, or back-pressured) waits in its endpoint's queue
 * and is retried each duty cycle until its deadline, in order; other endpoints are not held up
 * behind it (a single queue made every peer wait while one new publication connected). Senders
 * that need delivery retry on their side too.
 */
final class Connections implements Peers, AutoCloseable
{
    private static final long RETRY_FOR_NS = 3_000_000_000L;
    static final long IDLE_CLOSE_NS = 15_000_000_000L;
    private static final long SWEEP_EVERY_NS = 1_000_000_000L;

    private record Pending(byte[] bytes, long deadlineNs)
    {
    }

    private final Aeron aeron;
    /** An open publication and when its endpoint was last sent to. */
    private static final class Link
    {
        final ExclusivePublication publication;
        long lastUsedNs;

        Link(final ExclusivePublication publication, final long nowNs)
        {
            this.publication = publication;
            this.lastUsedNs = nowNs;
        }
    }

    private final Map<String, Link> links = new HashMap<>();
    private long nextSweepNs;
    /** Only endpoints with something waiting are here. */
    private final Map<String, ArrayDeque<Pending>> pending = new HashMap<>();
    private final UnsafeBuffer retryBuffer = new UnsafeBuffer(new byte[0]);

    Connections(final Aeron aeron)
    {
        this.aeron = aeron;
    }

    private ExclusivePublication publication(final String endpoint, final long nowNs)
    {
        Link link = links.get(endpoint);
        if (link == null)
        {
            link = new Link(aeron.addExclusivePublication(Protocol.channel(endpoint), Protocol.STREAM_ID), nowNs);
            links.put(endpoint, link);
        }
        link.lastUsedNs = nowNs;
        return link.publication;
    }

    /** Closes publications idle for {@link #IDLE_CLOSE_NS} with nothing waiting; returns how many. */
    int closeIdle(final long nowNs)
    {
        if (nowNs < nextSweepNs)
        {
            return 0;
        }
        nextSweepNs = nowNs + SWEEP_EVERY_NS;
        int closed = 0;
        for (final Iterator<Map.Entry<String, Link>> it = links.entrySet().iterator(); it.hasNext(); )
        {
            final Map.Entry<String, Link> e = it.next();
            if (nowNs - e.getValue().lastUsedNs >= IDLE_CLOSE_NS && !pending.containsKey(e.getKey()))
            {
                e.getValue().publication.close();
                it.remove();
                closed++;
            }
        }
        return closed;
    }

    /** Publications open now. */
    int open()
    {
        return links.size();
    }

    /** Sends the first {@code length} bytes of {@code buffer} to {@code endpoint}. */
    @Override
    public void send(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
    {
        if (endpoint == null || endpoint.isEmpty())
        {
            return;
        }
        final ExclusivePublication publication = publication(endpoint, nowNs);
        final ArrayDeque<Pending> waiting = pending.get(endpoint);
        if (waiting == null && Outbound.offer(publication, (MutableDirectBuffer)buffer, length))
        {
            return;
        }
        final byte[] copy = new byte[length];
        buffer.getBytes(0, copy);
        (waiting != null ? waiting : newQueue(endpoint)).add(new Pending(copy, nowNs + RETRY_FOR_NS));
    }

    private ArrayDeque<Pending> newQueue(final String endpoint)
    {
        final ArrayDeque<Pending> queue = new ArrayDeque<>(4);
        pending.put(endpoint, queue);
        return queue;
    }

    /** Retries what is waiting, each endpoint in order; returns how many went out. */
    int retry(final long nowNs)
    {
        if (pending.isEmpty())
        {
            return 0;
        }
        int sent = 0;
        for (final Iterator<Map.Entry<String, ArrayDeque<Pending>>> it = pending.entrySet().iterator(); it.hasNext(); )
        {
            final Map.Entry<String, ArrayDeque<Pending>> e = it.next();
            final ArrayDeque<Pending> queue = e.getValue();
            // (not a new use: an endpoint with messages waiting is never closed, so it is there)
            final ExclusivePublication publication = links.get(e.getKey()).publication;
            while (!queue.isEmpty())
            {
                final Pending p = queue.peek();
                retryBuffer.wrap(p.bytes());
                if (Outbound.offer(publication, retryBuffer, p.bytes().length))
                {
                    queue.poll();
                    sent++;
                }
                else if (nowNs >= p.deadlineNs())
                {
                    queue.poll(); // given up: the sender retries what matters
                }
                else
                {
                    break;
                }
            }
            if (queue.isEmpty())
            {
                it.remove();
            }
        }
        return sent;
    }

    @Override
    public void close()
    {
        links.values().forEach(l -> l.publication.close());
        links.clear();
        pending.clear();
    }
}
