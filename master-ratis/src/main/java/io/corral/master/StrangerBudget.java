package io.corral.master;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * How much a master answers peers that have not authenticated (a Challenge to a Hello, a redirect,
 * a refusal): each answer may open a provisional link to the endpoint the peer named, so answers
 * are rate-limited per sending publication, per source address and in total (token buckets), and
 * a flood from one place cannot use up what everyone else gets. Owned by the duty thread.
 */
final class StrangerBudget
{
    /** Per sending publication (one client): a real one says Hello about once a second per master. */
    static final double PER_PUBLICATION_PER_SECOND = 4;
    static final double PER_PUBLICATION_BURST = 10;
    /** Per source address (one host, all its clients). */
    static final double PER_ADDRESS_PER_SECOND = 250;
    static final double PER_ADDRESS_BURST = 1_000;
    /** In total: with provisional links closed after 2 s idle, well under the driver's publication limit. */
    static final double TOTAL_PER_SECOND = 1_000;
    static final double TOTAL_BURST = 2_000;
    /** Buckets kept at most per kind; past it, senders not yet known get nothing until the next sweep. */
    static final int MAX_TRACKED = 100_000;
    private static final long SWEEP_EVERY_NS = 1_000_000_000L;

    /** One token bucket: {@code burst} tokens at most, refilled at {@code perSecond}. */
    static final class Bucket
    {
        private final double perNs;
        private final double burst;
        private double tokens;
        private long lastNs;

        Bucket(final double perSecond, final double burst, final long nowNs)
        {
            this.perNs = perSecond / 1e9;
            this.burst = burst;
            this.tokens = burst;
            this.lastNs = nowNs;
        }

        private void refill(final long nowNs)
        {
            if (nowNs > lastNs)
            {
                tokens = Math.min(burst, tokens + (nowNs - lastNs) * perNs);
                lastNs = nowNs;
            }
        }

        boolean has(final long nowNs)
        {
            refill(nowNs);
            return tokens >= 1;
        }

        void take()
        {
            tokens -= 1;
        }

        boolean full(final long nowNs)
        {
            refill(nowNs);
            return tokens >= burst;
        }
    }

    private final Bucket total;
    private final Map<String, Bucket> byPublication = new HashMap<>();
    private final Map<String, Bucket> byAddress = new HashMap<>();
    private long nextSweepNs;

    StrangerBudget(final long nowNs)
    {
        total = new Bucket(TOTAL_PER_SECOND, TOTAL_BURST, nowNs);
    }

    /**
     * True, and one answer spent at every level, if the publication {@code publication} from
     * {@code address} may be answered now; false (nothing spent) if any level is exhausted.
     */
    boolean spend(final String address, final String publication, final long nowNs)
    {
        sweep(nowNs);
        final Bucket p = bucket(byPublication, publication, PER_PUBLICATION_PER_SECOND, PER_PUBLICATION_BURST, nowNs);
        final Bucket a = bucket(byAddress, address, PER_ADDRESS_PER_SECOND, PER_ADDRESS_BURST, nowNs);
        if (p == null || a == null || !p.has(nowNs) || !a.has(nowNs) || !total.has(nowNs))
        {
            return false;
        }
        p.take();
        a.take();
        total.take();
        return true;
    }

    private static Bucket bucket(final Map<String, Bucket> buckets, final String key, final double perSecond,
        final double burst, final long nowNs)
    {
        final Bucket b = buckets.get(key);
        if (b != null || buckets.size() >= MAX_TRACKED)
        {
            return b;
        }
        final Bucket made = new Bucket(perSecond, burst, nowNs);
        buckets.put(key, made);
        return made;
    }

    /** Once a second: forgets buckets that are full again (their senders went quiet). */
    private void sweep(final long nowNs)
    {
        if (nowNs - nextSweepNs < 0)
        {
            return;
        }
        nextSweepNs = nowNs + SWEEP_EVERY_NS;
        for (final Map<String, Bucket> buckets : java.util.List.of(byPublication, byAddress))
        {
            for (final Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); )
            {
                if (it.next().full(nowNs))
                {
                    it.remove();
                }
            }
        }
    }

    int tracked()
    {
        return byPublication.size() + byAddress.size();
    }
}
