package io.corral.allocator;

import java.util.Arrays;

/**
 * Static reservations, sparse: a short chain per agent of (role, reserved amounts, the role's
 * current allocation on that agent). Scalars are fungible, so a role uses its reservation first:
 * the reserved part in use is {@code min(roleAlloc, reserved)} per kind, and only the rest comes
 * out of the agent's unreserved pool.
 */
final class ReservationTable
{
    private final int kinds;
    private int[] role;
    private int[] next;
    private long[] reserved;
    private long[] roleAlloc;
    private int[] agentHead;
    private int freeHead = -1;
    private int used;
    private int highWater;

    ReservationTable(final int kinds, final int agentCapacity)
    {
        this.kinds = kinds;
        role = new int[16];
        next = new int[16];
        reserved = new long[16 * kinds];
        roleAlloc = new long[16 * kinds];
        agentHead = new int[agentCapacity];
        Arrays.fill(agentHead, -1);
    }

    void ensureAgentCapacity(final int capacity)
    {
        if (capacity > agentHead.length)
        {
            final int old = agentHead.length;
            agentHead = Arrays.copyOf(agentHead, Math.max(capacity, old * 2));
            Arrays.fill(agentHead, old, agentHead.length, -1);
        }
    }

    int headOfAgent(final int a)
    {
        return agentHead[a];
    }

    int next(final int e)
    {
        return next[e];
    }

    int role(final int e)
    {
        return role[e];
    }

    long reserved(final int e, final int kind)
    {
        return reserved[e * kinds + kind];
    }

    long roleAlloc(final int e, final int kind)
    {
        return roleAlloc[e * kinds + kind];
    }

    /** Reserved amount of this kind not allocated to the role. */
    long reservedFree(final int e, final int kind)
    {
        final int i = e * kinds + kind;
        final long r = reserved[i];
        final long a = roleAlloc[i];
        return a >= r ? 0 : r - a;
    }

    int find(final int a, final int r)
    {
        for (int e = agentHead[a]; e != -1; e = next[e])
        {
            if (role[e] == r)
            {
                return e;
            }
        }
        return -1;
    }

    int entries()
    {
        return used;
    }

    /** Sum over the agent's reservations of reserved (what = 0) or reserved-in-use (what = 1) amounts. */
    long sum(final int a, final int kind, final boolean inUse)
    {
        long total = 0;
        for (int e = agentHead[a]; e != -1; e = next[e])
        {
            final int i = e * kinds + kind;
            total += inUse ? Math.min(roleAlloc[i], reserved[i]) : reserved[i];
        }
        return total;
    }

    void addRoleAlloc(final int e, final long[] delta, final int offset, final long sign)
    {
        final int base = e * kinds;
        for (int k = 0; k < kinds; k++)
        {
            roleAlloc[base + k] += sign * delta[offset + k];
        }
    }

    int create(final int a, final int r, final long[] amounts, final long[] currentRoleAlloc)
    {
        int e = freeHead;
        if (e != -1)
        {
            freeHead = next[e];
        }
        else
        {
            e = highWater++;
            if (e == role.length)
            {
                final int n = role.length * 2;
                role = Arrays.copyOf(role, n);
                next = Arrays.copyOf(next, n);
                reserved = Arrays.copyOf(reserved, n * kinds);
                roleAlloc = Arrays.copyOf(roleAlloc, n * kinds);
            }
        }
        used++;
        role[e] = r;
        System.arraycopy(amounts, 0, reserved, e * kinds, kinds);
        System.arraycopy(currentRoleAlloc, 0, roleAlloc, e * kinds, kinds);
        next[e] = agentHead[a];
        agentHead[a] = e;
        return e;
    }

    void setReserved(final int e, final long[] amounts)
    {
        System.arraycopy(amounts, 0, reserved, e * kinds, kinds);
    }

    void remove(final int a, final int e)
    {
        int prev = -1;
        for (int cur = agentHead[a]; cur != -1; cur = next[cur])
        {
            if (cur == e)
            {
                if (prev == -1)
                {
                    agentHead[a] = next[cur];
                }
                else
                {
                    next[prev] = next[cur];
                }
                next[e] = freeHead;
                freeHead = e;
                used--;
                return;
            }
            prev = cur;
        }
        throw new IllegalStateException("reservation entry " + e + " is not on agent " + a);
    }
}
