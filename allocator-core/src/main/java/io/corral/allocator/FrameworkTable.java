package io.corral.allocator;

import java.util.Arrays;

import org.agrona.collections.Long2LongHashMap;

/**
 * Frameworks and their memberships. A membership is one (framework, role) subscription with its
 * own allocation, suppression flag and sort key; it lives in its role's framework heap.
 */
final class FrameworkTable
{
    private static final int[] NO_MEMBERS = new int[0];

    final int kinds;
    final SlotPool slots = new SlotPool();
    final Long2LongHashMap slotById;
    long[] externalId;
    int[][] memberships;

    final SlotPool memberSlots = new SlotPool();
    final ShareKeys memberKeys;
    final HeapPositions memberPositions;
    int[] memberFramework;
    int[] memberRole;
    boolean[] suppressed;
    long[] memberAllocated;

    FrameworkTable(final int kinds, final int capacity)
    {
        this.kinds = kinds;
        slotById = new Long2LongHashMap(capacity * 2, 0.65f, -1);
        externalId = new long[capacity];
        memberships = new int[capacity][];
        Arrays.fill(memberships, NO_MEMBERS);
        memberKeys = new ShareKeys(capacity);
        memberPositions = new HeapPositions(capacity);
        memberFramework = new int[capacity];
        memberRole = new int[capacity];
        suppressed = new boolean[capacity];
        memberAllocated = new long[capacity * kinds];
    }

    boolean exists(final int slot)
    {
        return slots.isUsed(slot);
    }

    /** The membership of framework {@code f} in role {@code r}, or -1. */
    int membership(final int f, final int r)
    {
        for (final int m : memberships[f])
        {
            if (memberRole[m] == r)
            {
                return m;
            }
        }
        return -1;
    }

    int acquire(final long id, final int roleCount)
    {
        final int f = slots.acquire();
        if (f >= externalId.length)
        {
            final int n = Math.max(f + 1, externalId.length * 2);
            externalId = Arrays.copyOf(externalId, n);
            final int old = memberships.length;
            memberships = Arrays.copyOf(memberships, n);
            Arrays.fill(memberships, old, n, NO_MEMBERS);
        }
        externalId[f] = id;
        memberships[f] = new int[roleCount];
        slotById.put(id, f);
        return f;
    }

    int acquireMember(final int f, final int r)
    {
        final int m = memberSlots.acquire();
        if (m >= memberFramework.length)
        {
            final int n = Math.max(m + 1, memberFramework.length * 2);
            memberFramework = Arrays.copyOf(memberFramework, n);
            memberRole = Arrays.copyOf(memberRole, n);
            suppressed = Arrays.copyOf(suppressed, n);
            memberAllocated = Arrays.copyOf(memberAllocated, n * kinds);
            memberKeys.ensureCapacity(n);
            memberPositions.ensureCapacity(n);
        }
        memberFramework[m] = f;
        memberRole[m] = r;
        suppressed[m] = false;
        Arrays.fill(memberAllocated, m * kinds, m * kinds + kinds, 0L);
        memberKeys.key[m] = 0;
        memberKeys.count[m] = 0;
        memberKeys.tie[m] = f;
        return m;
    }

    void release(final int f)
    {
        for (final int m : memberships[f])
        {
            memberSlots.release(m);
        }
        memberships[f] = NO_MEMBERS;
        slotById.remove(externalId[f]);
        slots.release(f);
    }
}
