package io.corral.allocator;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Roles: name, weight, quota (guarantee and limit), allocation, and the heaps that order them.
 * {@code active} is the heap of roles with at least one unsuppressed framework; {@code quota} the
 * subset whose guarantee is not yet met. Each role also owns the heap of its frameworks.
 */
final class RoleTable
{
    final int kinds;
    final SlotPool slots = new SlotPool();
    final Map<String, Integer> slotByName = new HashMap<>();
    final ShareKeys keys;
    final HeapPositions activePositions;
    final HeapPositions quotaPositions;
    final ShareHeap active;
    final ShareHeap quota;
    final long[] guaranteeSum;
    String[] name;
    double[] weight;
    long[] guarantee;
    long[] limit;
    long[] allocated;
    int[] members;
    int[] activeMembers;
    int[] reservations;
    ShareHeap[] memberHeap;

    RoleTable(final int kinds, final int capacity)
    {
        this.kinds = kinds;
        keys = new ShareKeys(capacity);
        activePositions = new HeapPositions(capacity);
        quotaPositions = new HeapPositions(capacity);
        active = new ShareHeap(keys, activePositions, capacity);
        quota = new ShareHeap(keys, quotaPositions, capacity);
        guaranteeSum = new long[kinds];
        name = new String[capacity];
        weight = new double[capacity];
        guarantee = new long[capacity * kinds];
        limit = new long[capacity * kinds];
        allocated = new long[capacity * kinds];
        members = new int[capacity];
        activeMembers = new int[capacity];
        reservations = new int[capacity];
        memberHeap = new ShareHeap[capacity];
    }

    boolean exists(final int slot)
    {
        return slots.isUsed(slot);
    }

    int acquire(final String roleName, final ShareKeys memberKeys, final HeapPositions memberPositions)
    {
        final int r = slots.acquire();
        if (r >= name.length)
        {
            final int n = Math.max(r + 1, name.length * 2);
            name = Arrays.copyOf(name, n);
            weight = Arrays.copyOf(weight, n);
            guarantee = Arrays.copyOf(guarantee, n * kinds);
            limit = Arrays.copyOf(limit, n * kinds);
            allocated = Arrays.copyOf(allocated, n * kinds);
            members = Arrays.copyOf(members, n);
            activeMembers = Arrays.copyOf(activeMembers, n);
            reservations = Arrays.copyOf(reservations, n);
            memberHeap = Arrays.copyOf(memberHeap, n);
            keys.ensureCapacity(n);
            activePositions.ensureCapacity(n);
            quotaPositions.ensureCapacity(n);
        }
        name[r] = roleName;
        weight[r] = 1.0;
        Arrays.fill(guarantee, r * kinds, r * kinds + kinds, 0L);
        Arrays.fill(limit, r * kinds, r * kinds + kinds, Long.MAX_VALUE);
        Arrays.fill(allocated, r * kinds, r * kinds + kinds, 0L);
        members[r] = 0;
        activeMembers[r] = 0;
        reservations[r] = 0;
        keys.key[r] = 0;
        keys.count[r] = 0;
        keys.tie[r] = r;
        if (memberHeap[r] == null)
        {
            memberHeap[r] = new ShareHeap(memberKeys, memberPositions, 4);
        }
        slotByName.put(roleName, r);
        return r;
    }

    void release(final int r)
    {
        slotByName.remove(name[r]);
        name[r] = null;
        slots.release(r);
    }

    /** True if some kind's guarantee is not yet covered by the role's allocation. */
    boolean unsatisfied(final int r)
    {
        final int base = r * kinds;
        for (int k = 0; k < kinds; k++)
        {
            if (allocated[base + k] < guarantee[base + k])
            {
                return true;
            }
        }
        return false;
    }

    /** Puts the role in or out of the active and quota heaps to match its frameworks and quota. */
    void placeInHeaps(final int r)
    {
        final boolean shouldBeActive = activeMembers[r] > 0;
        if (shouldBeActive != active.contains(r))
        {
            if (shouldBeActive)
            {
                active.add(r);
            }
            else
            {
                active.remove(r);
            }
        }
        else if (shouldBeActive)
        {
            active.update(r);
        }
        final boolean shouldBeInQuota = shouldBeActive && unsatisfied(r);
        if (shouldBeInQuota != quota.contains(r))
        {
            if (shouldBeInQuota)
            {
                quota.add(r);
            }
            else
            {
                quota.remove(r);
            }
        }
        else if (shouldBeInQuota)
        {
            quota.update(r);
        }
    }
}
