package io.corral.allocator;

import java.util.Arrays;

/**
 * A set of agent slots as a bitset with a count: O(1) add/remove/contains, O(1) "is it empty",
 * and members listed in ascending slot order in O(words + members) without allocating.
 */
final class AgentSet
{
    private long[] words;
    private int count;

    AgentSet(final int capacity)
    {
        words = new long[Math.max(1, (capacity + 63) >>> 6)];
    }

    void ensureCapacity(final int capacity)
    {
        final int needed = (capacity + 63) >>> 6;
        if (needed > words.length)
        {
            words = Arrays.copyOf(words, Math.max(needed, words.length * 2));
        }
    }

    boolean contains(final int slot)
    {
        return (words[slot >>> 6] & (1L << slot)) != 0;
    }

    /** Adds or removes the slot; keeps the count exact. */
    void set(final int slot, final boolean member)
    {
        final int w = slot >>> 6;
        final long bit = 1L << slot;
        final long before = words[w];
        if (member)
        {
            if ((before & bit) == 0)
            {
                words[w] = before | bit;
                count++;
            }
        }
        else if ((before & bit) != 0)
        {
            words[w] = before & ~bit;
            count--;
        }
    }

    int count()
    {
        return count;
    }

    void clear()
    {
        if (count != 0)
        {
            Arrays.fill(words, 0);
            count = 0;
        }
    }

    /** Writes the members into {@code out} in ascending order; returns how many. */
    int collect(final int[] out)
    {
        int n = 0;
        final long[] w = words;
        for (int i = 0; i < w.length && n < count; i++)
        {
            long bits = w[i];
            while (bits != 0)
            {
                out[n++] = (i << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
            }
        }
        return n;
    }

    /** Writes the members of this ∩ other into {@code out} in ascending order; returns how many. */
    int collectIntersection(final AgentSet other, final int[] out)
    {
        int n = 0;
        final long[] a = words;
        final long[] b = other.words;
        final int limit = Math.min(a.length, b.length);
        for (int i = 0; i < limit; i++)
        {
            long bits = a[i] & b[i];
            while (bits != 0)
            {
                out[n++] = (i << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
            }
        }
        return n;
    }
}
