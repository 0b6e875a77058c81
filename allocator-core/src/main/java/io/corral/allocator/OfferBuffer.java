package io.corral.allocator;

import java.util.Arrays;

/**
 * Offers decided by one pass, as parallel columns: agent slot, framework slot, role slot, and the
 * offered amounts (one row of {@code kinds} longs each). Pre-allocated and reused across passes;
 * it grows only if a pass makes more offers than ever before.
 */
public final class OfferBuffer
{
    private final int kinds;
    private int size;
    private int[] agent;
    private int[] framework;
    private int[] role;
    private long[] amount;

    public OfferBuffer(final int kinds, final int capacity)
    {
        this.kinds = kinds;
        final int initial = Math.max(16, capacity);
        agent = new int[initial];
        framework = new int[initial];
        role = new int[initial];
        amount = new long[initial * kinds];
    }

    public int size()
    {
        return size;
    }

    public int agent(final int i)
    {
        return agent[i];
    }

    public int framework(final int i)
    {
        return framework[i];
    }

    public int role(final int i)
    {
        return role[i];
    }

    /** Amount of resource kind {@code kind} in offer {@code i}. */
    public long amount(final int i, final int kind)
    {
        return amount[i * kinds + kind];
    }

    /** Copies offer {@code i}'s amounts into {@code out}. */
    public void amounts(final int i, final long[] out)
    {
        System.arraycopy(amount, i * kinds, out, 0, kinds);
    }

    public void clear()
    {
        size = 0;
    }

    /** Appends an offer; returns the row where its amounts go. */
    int append(final int agentSlot, final int frameworkSlot, final int roleSlot)
    {
        if (size == agent.length)
        {
            final int capacity = size * 2;
            agent = Arrays.copyOf(agent, capacity);
            framework = Arrays.copyOf(framework, capacity);
            role = Arrays.copyOf(role, capacity);
            amount = Arrays.copyOf(amount, capacity * kinds);
        }
        agent[size] = agentSlot;
        framework[size] = frameworkSlot;
        role[size] = roleSlot;
        return size++;
    }

    /** Appends an offer with the given amounts (used by reference implementations in tests). */
    public void add(final int agentSlot, final int frameworkSlot, final int roleSlot, final long[] amounts)
    {
        final int row = append(agentSlot, frameworkSlot, roleSlot);
        System.arraycopy(amounts, 0, amount, row * kinds, kinds);
    }

    long[] amountColumn()
    {
        return amount;
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < size; i++)
        {
            if (i > 0)
            {
                sb.append(", ");
            }
            sb.append("a").append(agent[i]).append("->f").append(framework[i]).append("/r").append(role[i])
                .append(Arrays.toString(Arrays.copyOfRange(amount, i * kinds, i * kinds + kinds)));
        }
        return sb.append(']').toString();
    }
}
