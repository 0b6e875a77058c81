package io.corral.allocator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShareHeapTest
{
    @Test
    void shouldWalkElementsInKeyOrderThroughAddsUpdatesAndRemoves()
    {
        final int n = 200;
        final ShareKeys keys = new ShareKeys(n);
        final HeapPositions positions = new HeapPositions(n);
        final ShareHeap heap = new ShareHeap(keys, positions, 2);
        final List<Integer> members = new ArrayList<>();
        final SplittableRandom rnd = new SplittableRandom(11);
        for (int step = 0; step < 3000; step++)
        {
            final int e = rnd.nextInt(n);
            if (members.contains(e))
            {
                if (rnd.nextBoolean())
                {
                    heap.remove(e);
                    members.remove(Integer.valueOf(e));
                }
                else
                {
                    keys.key[e] = rnd.nextInt(20) / 4.0;
                    keys.count[e] = rnd.nextInt(3);
                    heap.update(e);
                }
            }
            else
            {
                keys.key[e] = rnd.nextInt(20) / 4.0;
                keys.count[e] = rnd.nextInt(3);
                keys.tie[e] = e;
                heap.add(e);
                members.add(e);
            }
            members.sort(Comparator.<Integer>comparingDouble(x -> keys.key[x])
                .thenComparingLong(x -> keys.count[x]).thenComparingInt(x -> x));
            assertEquals(members.size(), heap.size());
            final List<Integer> walked = new ArrayList<>();
            for (int x = heap.firstInOrder(); x != -1; x = heap.nextInOrder())
            {
                walked.add(x);
            }
            assertEquals(members, walked);
            assertEquals(members.isEmpty() ? -1 : members.get(0), heap.peek());
        }
    }

    @Test
    void shouldRestoreOrderWithRebuildAfterManyKeysChange()
    {
        final ShareKeys keys = new ShareKeys(8);
        final ShareHeap heap = new ShareHeap(keys, new HeapPositions(8), 8);
        for (int e = 0; e < 8; e++)
        {
            keys.key[e] = e;
            keys.tie[e] = e;
            heap.add(e);
        }
        for (int e = 0; e < 8; e++)
        {
            keys.key[e] = 8 - e;
        }
        heap.rebuild();
        assertEquals(7, heap.peek());
        assertTrue(heap.contains(3));
        heap.clear();
        assertFalse(heap.contains(3));
        assertTrue(heap.isEmpty());
    }
}
