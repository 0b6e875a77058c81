package io.corral.allocator;

import java.util.BitSet;

/**
 * Dense int slots, reused after release; always hands out the smallest free slot so that slot
 * assignment is deterministic (the reference allocator relies on the same rule).
 */
final class SlotPool
{
    private final BitSet used = new BitSet();
    private int inUse;

    int acquire()
    {
        final int slot = used.nextClearBit(0);
        used.set(slot);
        inUse++;
        return slot;
    }

    void release(final int slot)
    {
        used.clear(slot);
        inUse--;
    }

    boolean isUsed(final int slot)
    {
        return slot >= 0 && used.get(slot);
    }

    int inUse()
    {
        return inUse;
    }

    /** One past the highest slot in use. */
    int limit()
    {
        return used.length();
    }
}
