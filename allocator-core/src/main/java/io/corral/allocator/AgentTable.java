package io.corral.allocator;

import java.util.Arrays;

import org.agrona.collections.Long2LongHashMap;

/** Agents as columns: external id, active flag, total and allocated resources (kinds per row). */
final class AgentTable
{
    final int kinds;
    final SlotPool slots = new SlotPool();
    final Long2LongHashMap slotById;
    final long[] clusterTotal;
    long[] externalId;
    boolean[] active;
    long[] total;
    long[] allocated;

    AgentTable(final int kinds, final int capacity)
    {
        this.kinds = kinds;
        // Id lookups are off the hot path: a dense table keeps the index near 20 B per agent.
        this.slotById = new Long2LongHashMap((int)Math.ceil(capacity / 0.8), 0.8f, -1);
        this.clusterTotal = new long[kinds];
        externalId = new long[capacity];
        active = new boolean[capacity];
        total = new long[capacity * kinds];
        allocated = new long[capacity * kinds];
    }

    int capacity()
    {
        return externalId.length;
    }

    boolean exists(final int slot)
    {
        return slots.isUsed(slot);
    }

    /** Takes a slot for a new agent; returns the slot and whether the tables grew. */
    int acquire(final long id)
    {
        final int slot = slots.acquire();
        if (slot >= externalId.length)
        {
            final int n = Math.max(slot + 1, externalId.length * 2);
            externalId = Arrays.copyOf(externalId, n);
            active = Arrays.copyOf(active, n);
            total = Arrays.copyOf(total, n * kinds);
            allocated = Arrays.copyOf(allocated, n * kinds);
        }
        externalId[slot] = id;
        slotById.put(id, slot);
        return slot;
    }

    void release(final int slot)
    {
        slotById.remove(externalId[slot]);
        slots.release(slot);
        active[slot] = false;
        Arrays.fill(total, slot * kinds, slot * kinds + kinds, 0L);
        Arrays.fill(allocated, slot * kinds, slot * kinds + kinds, 0L);
    }
}
