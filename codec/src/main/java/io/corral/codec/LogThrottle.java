package io.corral.codec;

/**
 * At most one log line per interval for something a stranger can cause at will (bad frames, failed
 * authentications), so a flood of them cannot flood the log or the disk; the next line says how
 * many were left out. Owned by one thread (a duty thread), which passes its own clock.
 */
public final class LogThrottle
{
    private final long intervalNs;
    private long nextNs = Long.MIN_VALUE;
    private long skipped;

    public LogThrottle(final long intervalNs)
    {
        this.intervalNs = intervalNs;
    }

    /** True if a line may be written at {@code nowNs}; otherwise the event is counted as left out. */
    public boolean allow(final long nowNs)
    {
        if (nextNs != Long.MIN_VALUE && nowNs - nextNs < 0)
        {
            skipped++;
            return false;
        }
        nextNs = nowNs + intervalNs;
        return true;
    }

    /** What to append to an allowed line: how many like it were left out since the last one ("" if none). */
    public String leftOut()
    {
        if (skipped == 0)
        {
            return "";
        }
        final String s = " (" + skipped + " more like it in the last " + (intervalNs / 1_000_000_000L) +
            " s not logged; see /metrics)";
        skipped = 0;
        return s;
    }
}
