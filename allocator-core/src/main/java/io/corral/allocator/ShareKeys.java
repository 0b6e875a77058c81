package io.corral.allocator;

import java.util.Arrays;

/**
 * The sort keys of a family of heap elements (roles, or framework memberships): primary key
 * (dominant share ÷ weight, or a random clock), allocation count, and a tie id. The arrays are
 * grown in place so that every heap reading them sees the new ones.
 */
final class ShareKeys
{
    double[] key;
    long[] count;
    int[] tie;

    ShareKeys(final int capacity)
    {
        key = new double[capacity];
        count = new long[capacity];
        tie = new int[capacity];
    }

    void ensureCapacity(final int capacity)
    {
        if (capacity > key.length)
        {
            final int newCapacity = Math.max(capacity, key.length * 2);
            key = Arrays.copyOf(key, newCapacity);
            count = Arrays.copyOf(count, newCapacity);
            tie = Arrays.copyOf(tie, newCapacity);
        }
    }

    /** Total order: key, then allocation count, then tie id. */
    boolean before(final int a, final int b)
    {
        final double ka = key[a];
        final double kb = key[b];
        if (ka != kb)
        {
            return ka < kb;
        }
        final long ca = count[a];
        final long cb = count[b];
        if (ca != cb)
        {
            return ca < cb;
        }
        return tie[a] < tie[b];
    }
}
