package io.corral.allocator;

import java.util.Arrays;

/**
 * Who holds what: one entry per (agent, framework membership) with the amounts allocated there
 * (offered or in use). Entries are pooled and doubly linked twice, per agent and per membership,
 * so removing an agent or a framework releases exactly its entries.
 */
final class AllocationLedger
{
    private final int kinds;
    private int[] agent;
    private int[] member;
    private int[] nextOfAgent;
    private int[] prevOfAgent;
    private int[] nextOfMember;
    private int[] prevOfMember;
    private long[] amount;
    private int freeHead = -1;
    private int used;
    private int[] agentHead;
    private int[] memberHead;

    AllocationLedger(final int kinds, final int capacity, final int agentCapacity, final int memberCapacity)
    {
        this.kinds = kinds;
        final int n = Math.max(16, capacity);
        agent = new int[n];
        member = new int[n];
        nextOfAgent = new int[n];
        prevOfAgent = new int[n];
        nextOfMember = new int[n];
        prevOfMember = new int[n];
        amount = new long[n * kinds];
        agentHead = new int[agentCapacity];
        memberHead = new int[memberCapacity];
        Arrays.fill(agentHead, -1);
        Arrays.fill(memberHead, -1);
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

    void ensureMemberCapacity(final int capacity)
    {
        if (capacity > memberHead.length)
        {
            final int old = memberHead.length;
            memberHead = Arrays.copyOf(memberHead, Math.max(capacity, old * 2));
            Arrays.fill(memberHead, old, memberHead.length, -1);
        }
    }

    int headOfAgent(final int a)
    {
        return agentHead[a];
    }

    int nextOfAgent(final int entry)
    {
        return nextOfAgent[entry];
    }

    int headOfMember(final int m)
    {
        return memberHead[m];
    }

    int nextOfMember(final int entry)
    {
        return nextOfMember[entry];
    }

    int agent(final int entry)
    {
        return agent[entry];
    }

    int member(final int entry)
    {
        return member[entry];
    }

    long amount(final int entry, final int kind)
    {
        return amount[entry * kinds + kind];
    }

    long[] amountColumn()
    {
        return amount;
    }

    int entries()
    {
        return used;
    }

    /** The entry of (agent, member), or -1. Agents hold few entries, so a scan beats a hash. */
    int find(final int a, final int m)
    {
        for (int e = agentHead[a]; e != -1; e = nextOfAgent[e])
        {
            if (member[e] == m)
            {
                return e;
            }
        }
        return -1;
    }

    /** Adds {@code src[srcOffset..+kinds)} to the (agent, member) entry, creating it if needed. */
    int add(final int a, final int m, final long[] src, final int srcOffset)
    {
        int e = find(a, m);
        if (e == -1)
        {
            e = newEntry(a, m);
        }
        final int base = e * kinds;
        for (int k = 0; k < kinds; k++)
        {
            amount[base + k] += src[srcOffset + k];
        }
        return e;
    }

    /** Subtracts from an entry (the caller has checked it holds enough); frees it when it is empty. */
    void subtract(final int e, final long[] src, final int srcOffset)
    {
        final int base = e * kinds;
        boolean empty = true;
        for (int k = 0; k < kinds; k++)
        {
            final long left = amount[base + k] - src[srcOffset + k];
            amount[base + k] = left;
            empty &= left == 0;
        }
        if (empty)
        {
            remove(e);
        }
    }

    void remove(final int e)
    {
        final int a = agent[e];
        final int m = member[e];
        final int pa = prevOfAgent[e];
        final int na = nextOfAgent[e];
        if (pa == -1)
        {
            agentHead[a] = na;
        }
        else
        {
            nextOfAgent[pa] = na;
        }
        if (na != -1)
        {
            prevOfAgent[na] = pa;
        }
        final int pm = prevOfMember[e];
        final int nm = nextOfMember[e];
        if (pm == -1)
        {
            memberHead[m] = nm;
        }
        else
        {
            nextOfMember[pm] = nm;
        }
        if (nm != -1)
        {
            prevOfMember[nm] = pm;
        }
        Arrays.fill(amount, e * kinds, e * kinds + kinds, 0L);
        nextOfAgent[e] = freeHead;
        freeHead = e;
        used--;
    }

    private int newEntry(final int a, final int m)
    {
        int e = freeHead;
        if (e != -1)
        {
            freeHead = nextOfAgent[e];
        }
        else
        {
            e = used;
            if (e == agent.length)
            {
                grow();
            }
        }
        used++;
        agent[e] = a;
        member[e] = m;
        prevOfAgent[e] = -1;
        nextOfAgent[e] = agentHead[a];
        if (agentHead[a] != -1)
        {
            prevOfAgent[agentHead[a]] = e;
        }
        agentHead[a] = e;
        prevOfMember[e] = -1;
        nextOfMember[e] = memberHead[m];
        if (memberHead[m] != -1)
        {
            prevOfMember[memberHead[m]] = e;
        }
        memberHead[m] = e;
        return e;
    }

    private void grow()
    {
        final int n = agent.length * 2;
        agent = Arrays.copyOf(agent, n);
        member = Arrays.copyOf(member, n);
        nextOfAgent = Arrays.copyOf(nextOfAgent, n);
        prevOfAgent = Arrays.copyOf(prevOfAgent, n);
        nextOfMember = Arrays.copyOf(nextOfMember, n);
        prevOfMember = Arrays.copyOf(prevOfMember, n);
        amount = Arrays.copyOf(amount, n * kinds);
    }
}
