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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Connections.class);
    private static final long RETRY_FOR_NS = 3_000_000_000L;
    static final long IDLE_CLOSE_NS = 15_000_000_000L;
    /** A link opened only to answer someone not yet authenticated: closed this soon when idle. */
    static final long PROVISIONAL_IDLE_CLOSE_NS = 2_000_000_000L;
    /** At most this many such links at once; past it, answers to new unauthenticated endpoints are dropped. */
    static final int MAX_PROVISIONAL_LINKS = 1_024;
    private static final long SWEEP_EVERY_NS = 1_000_000_000L;

    private record Pending(byte[] bytes, long deadlineNs)
    {
    }

    private final Aeron aeron;
    /** Counts an endpoint refused or a channel that could not be opened (the message is dropped). */
    private final Runnable refused;
    private final io.corral.codec.LogThrottle refusedLog = new io.corral.codec.LogThrottle(10_000_000_000L);
    /** An open publication and when its endpoint was last sent to. */
    private static final class Link
    {
        final ExclusivePublication publication;
        long lastUsedNs;
        /** Opened only for answers to a peer not yet authenticated (a challenge, a redirect). */
        boolean provisional;

        Link(final ExclusivePublication publication, final long nowNs)
        {
            this.publication = publication;
            this.lastUsedNs = nowNs;
        }
    }

    private int provisionalLinks;

    private final Map<String, Link> links = new HashMap<>();
    private long nextSweepNs;
    /** Only endpoints with something waiting are here. */
    private final Map<String, ArrayDeque<Pending>> pending = new HashMap<>();
    private final UnsafeBuffer retryBuffer = new UnsafeBuffer(new byte[0]);

    Connections(final Aeron aeron, final Runnable refused)
    {
        this.aeron = aeron;
        this.refused = refused;
    }

    /**
     * The link to {@code endpoint}, opened if need be; null (counted, logged once an interval, no
     * stack trace) if the endpoint is not a plain host:port, its channel cannot be opened (a name
     * that does not resolve), or it would be one provisional link too many.
     */
    private Link link(final String endpoint, final boolean provisional, final long nowNs)
    {
        Link link = links.get(endpoint);
        if (link == null)
        {
            if (provisional && provisionalLinks >= MAX_PROVISIONAL_LINKS)
            {
                refuse(endpoint, MAX_PROVISIONAL_LINKS + " links to unauthenticated peers are open", nowNs);
                return null;
            }
            final String problem = Protocol.peerEndpointProblem(endpoint);
            if (problem != null)
            {
                refuse(endpoint, problem, nowNs);
                return null;
            }
            link = openLink(endpoint, provisional, nowNs);
        }
        else if (link.provisional && !provisional)
        {
            // Its peer has authenticated: an ordinary link (full-size terms) from now on.
            link.publication.close();
            provisionalLinks--;
            links.remove(endpoint);
            link = openLink(endpoint, false, nowNs);
        }
        if (link != null)
        {
            link.lastUsedNs = nowNs;
        }
        return link;
    }

    /**
     * A new publication to {@code endpoint}; a provisional one has the smallest term Aeron takes
     * (64 KiB: its challenges and refusals are small), so that answering strangers costs the
     * driver little. Null (counted) if the channel cannot be opened.
     */
    private Link openLink(final String endpoint, final boolean provisional, final long nowNs)
    {
        final ExclusivePublication publication;
        try
        {
            publication = aeron.addExclusivePublication(Protocol.channel(endpoint) +
                (provisional ? "|term-length=" + PROVISIONAL_TERM_BYTES : ""), Protocol.STREAM_ID);
        }
        catch (final RuntimeException ex)
        {
            refuse(endpoint, "cannot open a channel to it: " + ex.getMessage(), nowNs);
            return null;
        }
        final Link link = new Link(publication, nowNs);
        link.provisional = provisional;
        provisionalLinks += provisional ? 1 : 0;
        links.put(endpoint, link);
        return link;
    }

    /** The term of a provisional link: Aeron's smallest. */
    static final int PROVISIONAL_TERM_BYTES = 64 * 1024;

    private void refuse(final String endpoint, final String why, final long nowNs)
    {
        refused.run();
        if (refusedLog.allow(nowNs))
        {
            LOG.warn("nothing sent to endpoint '{}': {}{}", endpoint, why, refusedLog.leftOut());
        }
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
            final Link link = e.getValue();
            if (nowNs - link.lastUsedNs >= (link.provisional ? PROVISIONAL_IDLE_CLOSE_NS : IDLE_CLOSE_NS) &&
                !pending.containsKey(e.getKey()))
            {
                link.publication.close();
                provisionalLinks -= link.provisional ? 1 : 0;
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

    /** Of those, the ones opened only to answer peers not yet authenticated. */
    int provisional()
    {
        return provisionalLinks;
    }

    /** Sends the first {@code length} bytes of {@code buffer} to {@code endpoint}. */
    @Override
    public void send(final String endpoint, final DirectBuffer buffer, final int length, final long nowNs)
    {
        send(endpoint, buffer, length, false, nowNs);
    }

    @Override
    public void sendUnauthenticated(final String endpoint, final DirectBuffer buffer, final int length,
        final long nowNs)
    {
        send(endpoint, buffer, length, true, nowNs);
    }

    private void send(final String endpoint, final DirectBuffer buffer, final int length, final boolean provisional,
        final long nowNs)
    {
        if (endpoint == null || endpoint.isEmpty())
        {
            return;
        }
        final Link link = link(endpoint, provisional, nowNs);
        if (link == null)
        {
            return;
        }
        final ExclusivePublication publication = link.publication;
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
            // (not a new use: an endpoint with messages waiting is never closed; it is gone only if
            // reopening it as an ordinary link failed, and then what waited is dropped)
            final Link link = links.get(e.getKey());
            if (link == null)
            {
                it.remove();
                continue;
            }
            final ExclusivePublication publication = link.publication;
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
        provisionalLinks = 0;
        pending.clear();
    }
}
