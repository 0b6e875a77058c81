package io.corral.client;

import java.util.LinkedHashMap;
import java.util.Map;

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

    private record Key(String taskId, long uuidMsb, long uuidLsb)
    {
    }

    private final int capacity;
    /** Value: true once the update was acknowledged. */
    private final Map<Key, Boolean> seen;

    StatusDedupe(final int capacity)
    {
        if (capacity <= 0)
        {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.seen = new LinkedHashMap<>(16, 0.75f, false)
        {
            @Override
            protected boolean removeEldestEntry(final Map.Entry<Key, Boolean> eldest)
            {
                return size() > StatusDedupe.this.capacity;
            }
        };
    }

    /** Decides for an update with a uuid (updates without one, reconciliation answers, always go through). */
    Verdict arrived(final String taskId, final long uuidMsb, final long uuidLsb)
    {
        if (uuidMsb == 0 && uuidLsb == 0)
        {
            return Verdict.DELIVER;
        }
        final Boolean acknowledged = seen.putIfAbsent(new Key(taskId, uuidMsb, uuidLsb), Boolean.FALSE);
        if (acknowledged == null)
        {
            return Verdict.DELIVER;
        }
        return acknowledged ? Verdict.ACKNOWLEDGE_AGAIN : Verdict.DROP;
    }

    /** The framework (or the driver, implicitly) acknowledged this update. */
    void acknowledged(final String taskId, final long uuidMsb, final long uuidLsb)
    {
        seen.put(new Key(taskId, uuidMsb, uuidLsb), Boolean.TRUE);
    }

    int size()
    {
        return seen.size();
    }
}
