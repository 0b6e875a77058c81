package io.corral.codec;

import java.util.SplittableRandom;

/**
 * Retry delays that double from a first delay up to a ceiling, each drawn at random between half
 * the delay and the whole of it, so that thousands of senders that lost the same master do not
 * retry in step (Mesos's agent registration backoff works the same way). Without it, 50,000 agents
 * retrying a registration every 500 ms sent the leader 100,000 registrations a second, and that
 * load itself kept the registrations from being answered. One owner; not thread-safe.
 */
public final class Backoff
{
    private final long firstNs;
    private final long maxNs;
    private final SplittableRandom random;
    private long currentNs;

    public Backoff(final long firstNs, final long maxNs, final long seed)
    {
        if (firstNs <= 0 || maxNs < firstNs)
        {
            throw new IllegalArgumentException("backoff needs 0 < first <= max, got " + firstNs + " and " + maxNs);
        }
        this.firstNs = firstNs;
        this.maxNs = maxNs;
        this.random = new SplittableRandom(seed);
        this.currentNs = firstNs;
    }

    /** The delay before the next attempt (in [d/2, d] for the current d), and doubles d for the one after. */
    public long nextDelayNs()
    {
        final long d = currentNs;
        currentNs = Math.min(maxNs, currentNs * 2);
        return d / 2 + random.nextLong(d / 2 + 1);
    }

    /** Answered: the next retry waits the first delay again. */
    public void reset()
    {
        currentNs = firstNs;
    }
}
