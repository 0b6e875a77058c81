package io.corral.master;

import org.agrona.collections.Long2LongHashMap;

/**
 * A bounded set of status-update uuids, optionally with one long of data each (the agent a
 * forwarded update came from, say), in primitive maps: adding, finding and removing allocate
 * nothing. Keyed by the uuid's high half, checked against the low half; when full, the oldest
 * entry is forgotten. A book without values keeps no second map: each put costs two fewer map
 * operations, and every status update puts into two such books (100,000 entries each, larger than
 * the caches: a third of the leader duty thread's samples were in these maps). Owned by the duty
 * thread.
 */
final class UuidBook
{
    private static final long NONE = Long.MIN_VALUE;

    private final Long2LongHashMap lsbByMsb = new Long2LongHashMap(NONE);
    /** Null for a book without values. */
    private final Long2LongHashMap valueByMsb;
    private final long[] ring;
    private int next;
    private long written;

    /** A book of uuids with a value each. */
    UuidBook(final int capacity)
    {
        this(capacity, true);
    }

    /** A book of {@code capacity} uuids, with a value each if {@code withValues}. */
    UuidBook(final int capacity, final boolean withValues)
    {
        ring = new long[capacity];
        valueByMsb = withValues ? new Long2LongHashMap(NONE) : null;
    }

    void put(final long msb, final long lsb, final long value)
    {
        if (lsbByMsb.get(msb) == lsb)
        {
            if (valueByMsb != null)
            {
                valueByMsb.put(msb, value);
            }
            return;
        }
        if (written++ >= ring.length)
        {
            // Forget the oldest (it may already be gone: removing it again is harmless).
            lsbByMsb.remove(ring[next]);
            if (valueByMsb != null)
            {
                valueByMsb.remove(ring[next]);
            }
        }
        ring[next] = msb;
        next = (next + 1) % ring.length;
        lsbByMsb.put(msb, lsb);
        if (valueByMsb != null)
        {
            valueByMsb.put(msb, value);
        }
    }

    boolean contains(final long msb, final long lsb)
    {
        final long known = lsbByMsb.get(msb);
        return known != NONE && known == lsb && (msb != 0 || lsb != 0);
    }

    /** Forgets this uuid if it is here (its ring slot is reused in turn). */
    void remove(final long msb, final long lsb)
    {
        if (contains(msb, lsb))
        {
            lsbByMsb.remove(msb);
            if (valueByMsb != null)
            {
                valueByMsb.remove(msb);
            }
        }
    }

    /** The value of this uuid, or {@code Long.MIN_VALUE} if it is not here (a book with values only). */
    long get(final long msb, final long lsb)
    {
        if (valueByMsb == null)
        {
            throw new IllegalStateException("this book keeps no values");
        }
        return contains(msb, lsb) ? valueByMsb.get(msb) : NONE;
    }
}
