package io.corral.master;

import org.agrona.collections.Long2LongHashMap;

/**
 * A bounded set of status-update uuids with one long of data each (the agent a forwarded update
 * came from, say), in primitive maps: adding, finding and removing allocate nothing. Keyed by the
 * uuid's high half, checked against the low half; when full, the oldest entry is forgotten.
 * Owned by the duty thread.
 */
final class UuidBook
{
    private static final long NONE = Long.MIN_VALUE;

    private final Long2LongHashMap lsbByMsb = new Long2LongHashMap(NONE);
    private final Long2LongHashMap valueByMsb = new Long2LongHashMap(NONE);
    private final long[] ring;
    private int next;
    private long written;

    UuidBook(final int capacity)
    {
        ring = new long[capacity];
    }

    void put(final long msb, final long lsb, final long value)
    {
        if (lsbByMsb.get(msb) == lsb)
        {
            valueByMsb.put(msb, value);
            return;
        }
        if (written++ >= ring.length)
        {
            // Forget the oldest (it may already be gone: removing it again is harmless).
            lsbByMsb.remove(ring[next]);
            valueByMsb.remove(ring[next]);
        }
        ring[next] = msb;
        next = (next + 1) % ring.length;
        lsbByMsb.put(msb, lsb);
        valueByMsb.put(msb, value);
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
            valueByMsb.remove(msb);
        }
    }

    /** The value of this uuid, or {@code Long.MIN_VALUE} if it is not here. */
    long get(final long msb, final long lsb)
    {
        return contains(msb, lsb) ? valueByMsb.get(msb) : NONE;
    }
}
