package io.corral.allocator;

import java.util.Arrays;

/**
 * Where each element sits in its heap, or -1. Heaps whose elements never overlap (the per-role
 * framework heaps) share one instance, so the index costs one int per element, not per heap.
 */
final class HeapPositions
{
    int[] pos;

    HeapPositions(final int capacity)
    {
        pos = new int[capacity];
        Arrays.fill(pos, -1);
    }

    void ensureCapacity(final int capacity)
    {
        if (capacity > pos.length)
        {
            final int old = pos.length;
            pos = Arrays.copyOf(pos, Math.max(capacity, old * 2));
            Arrays.fill(pos, old, pos.length, -1);
        }
    }
}
