package io.corral.allocator;

import java.util.Arrays;

/**
 * Indexed binary min-heap of int elements ordered by {@link ShareKeys}. Every element knows its
 * position, so a changed share is a sift, never a re-sort. {@link #firstInOrder()} and
 * {@link #nextInOrder()} visit elements in key order (best-first over the heap tree) without
 * disturbing it, so "the lowest-share client that is eligible here" costs O(k log k) for the k
 * clients looked at, usually one.
 */
final class ShareHeap
{
    private final ShareKeys keys;
    private final HeapPositions positions;
    private int[] heap;
    private int size;
    private int[] frontier;
    private int frontierSize;

    ShareHeap(final ShareKeys keys, final HeapPositions positions, final int capacity)
    {
        this.keys = keys;
        this.positions = positions;
        final int initial = Math.max(4, capacity);
        this.heap = new int[initial];
        this.frontier = new int[initial + 1];
    }

    int size()
    {
        return size;
    }

    boolean isEmpty()
    {
        return size == 0;
    }

    boolean contains(final int element)
    {
        final int p = positions.pos[element];
        return p >= 0 && p < size && heap[p] == element;
    }

    int peek()
    {
        return size == 0 ? -1 : heap[0];
    }

    void add(final int element)
    {
        if (size == heap.length)
        {
            heap = Arrays.copyOf(heap, size * 2);
            frontier = new int[heap.length + 1];
        }
        heap[size] = element;
        positions.pos[element] = size;
        size++;
        siftUp(size - 1);
    }

    void remove(final int element)
    {
        final int[] pos = positions.pos;
        final int i = pos[element];
        pos[element] = -1;
        size--;
        if (i != size)
        {
            final int last = heap[size];
            heap[i] = last;
            pos[last] = i;
            siftDown(i);
            siftUp(pos[last]);
        }
    }

    /** Restores order after the element's key changed. */
    void update(final int element)
    {
        final int i = positions.pos[element];
        siftUp(i);
        siftDown(positions.pos[element]);
    }

    /** Restores order after many keys changed at once (Floyd's heapify, O(n)). */
    void rebuild()
    {
        for (int i = (size >>> 1) - 1; i >= 0; i--)
        {
            siftDown(i);
        }
    }

    void clear()
    {
        final int[] pos = positions.pos;
        for (int i = 0; i < size; i++)
        {
            pos[heap[i]] = -1;
        }
        size = 0;
    }

    /** Starts an in-order walk; returns the smallest element or -1. Any add/remove/update ends the walk. */
    int firstInOrder()
    {
        frontierSize = 0;
        if (size == 0)
        {
            return -1;
        }
        frontier[frontierSize++] = 0;
        return nextInOrder();
    }

    /** The next element in key order, or -1 when the walk has visited everything. */
    int nextInOrder()
    {
        if (frontierSize == 0)
        {
            return -1;
        }
        final int i = popFrontier();
        final int left = 2 * i + 1;
        if (left < size)
        {
            pushFrontier(left);
            if (left + 1 < size)
            {
                pushFrontier(left + 1);
            }
        }
        return heap[i];
    }

    private void pushFrontier(final int heapIndex)
    {
        int i = frontierSize++;
        final int element = heap[heapIndex];
        while (i > 0)
        {
            final int parent = (i - 1) >>> 1;
            final int parentIndex = frontier[parent];
            if (!keys.before(element, heap[parentIndex]))
            {
                break;
            }
            frontier[i] = parentIndex;
            i = parent;
        }
        frontier[i] = heapIndex;
    }

    private int popFrontier()
    {
        final int top = frontier[0];
        final int last = frontier[--frontierSize];
        int i = 0;
        final int n = frontierSize;
        final int lastElement = heap[last];
        while (true)
        {
            final int left = 2 * i + 1;
            if (left >= n)
            {
                break;
            }
            int child = left;
            if (left + 1 < n && keys.before(heap[frontier[left + 1]], heap[frontier[left]]))
            {
                child = left + 1;
            }
            if (!keys.before(heap[frontier[child]], lastElement))
            {
                break;
            }
            frontier[i] = frontier[child];
            i = child;
        }
        if (n > 0)
        {
            frontier[i] = last;
        }
        return top;
    }

    private void siftUp(final int index)
    {
        final int[] pos = positions.pos;
        int i = index;
        final int element = heap[i];
        while (i > 0)
        {
            final int parent = (i - 1) >>> 1;
            final int parentElement = heap[parent];
            if (!keys.before(element, parentElement))
            {
                break;
            }
            heap[i] = parentElement;
            pos[parentElement] = i;
            i = parent;
        }
        heap[i] = element;
        pos[element] = i;
    }

    private void siftDown(final int index)
    {
        final int[] pos = positions.pos;
        int i = index;
        final int element = heap[i];
        final int n = size;
        while (true)
        {
            final int left = 2 * i + 1;
            if (left >= n)
            {
                break;
            }
            int child = left;
            int childElement = heap[left];
            if (left + 1 < n)
            {
                final int right = heap[left + 1];
                if (keys.before(right, childElement))
                {
                    child = left + 1;
                    childElement = right;
                }
            }
            if (!keys.before(childElement, element))
            {
                break;
            }
            heap[i] = childElement;
            pos[childElement] = i;
            i = child;
        }
        heap[i] = element;
        pos[element] = i;
    }
}
