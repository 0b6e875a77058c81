package io.corral.client;


/**
 * Remembers which status updates (task id and uuid) the driver has handed to the scheduler, so a
 * resent update reaches the scheduler once. The master redelivers an update until the framework's
 * acknowledgement has gone through, and after a leader change it may deliver it again: only the
 * first copy is delivered; a later copy is answered with the acknowledgement again if the
 * framework already gave one. Bounded: the oldest entries are forgotten past {@code capacity}.
 * Owned by the driver's thread.
 */
final class StatusDedupe
{
    /** What to do with an arriving update. */
    enum Verdict
    {
        /** First time: hand it to the scheduler. */
        DELIVER,
        /** Seen and acknowledged: acknowledge again (the first acknowledgement was lost or late). */
        ACKNOWLEDGE_AGAIN,
        /** Seen, not acknowledged yet (explicit acknowledgements): the framework will do it. */
        DROP
    }

    private static final long NONE = Long.MIN_VALUE;

    private final int capacity;
    /**
     * Keyed by the uuid alone (128 random bits; the task id adds nothing), in primitive maps: no key
     * object, no string hashing per update (the record key with the task id was the driver
     * thread's top frame at thousands of updates a second). Value: the uuid's low half, and
     * whether it was acknowledged.
     */
    private final org.agrona.collections.Long2LongHashMap lsbByMsb = new org.agrona.collections.Long2LongHashMap(NONE);
    private final org.agrona.collections.LongHashSet acknowledged = new org.agrona.collections.LongHashSet();
    /** Insertion order, to forget the oldest past {@code capacity}. */
    private final long[] ring;
    private int next;
    private long written;

    StatusDedupe(final int capacity)
    {
        if (capacity <= 0)
        {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.ring = new long[capacity];
    }

    /** Decides for an update with a uuid (updates without one, reconciliation answers, always go through). */
    Verdict arrived(final String taskId, final long uuidMsb, final long uuidLsb)
    {
        if (uuidMsb == 0 && uuidLsb == 0)
        {
            return Verdict.DELIVER;
        }
        if (lsbByMsb.get(uuidMsb) == uuidLsb)
        {
            return acknowledged.contains(uuidMsb) ? Verdict.ACKNOWLEDGE_AGAIN : Verdict.DROP;
        }
        remember(uuidMsb, uuidLsb);
        return Verdict.DELIVER;
    }

    private void remember(final long msb, final long lsb)
    {
        if (written++ >= capacity)
        {
            lsbByMsb.remove(ring[next]);
            acknowledged.remove(ring[next]);
        }
        ring[next] = msb;
        next = (next + 1) % capacity;
        lsbByMsb.put(msb, lsb);
        acknowledged.remove(msb);
    }

    /** The framework (or the driver, implicitly) acknowledged this update. */
    void acknowledged(final String taskId, final long uuidMsb, final long uuidLsb)
    {
        if (lsbByMsb.get(uuidMsb) != uuidLsb)
        {
            remember(uuidMsb, uuidLsb);
        }
        acknowledged.add(uuidMsb);
    }

    int size()
    {
        return lsbByMsb.size();
    }
}
