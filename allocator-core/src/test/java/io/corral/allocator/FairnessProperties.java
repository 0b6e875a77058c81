package io.corral.allocator;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Invariants that must hold after a pass over a whole cluster, whatever the cluster looks like. */
class FairnessProperties
{
    private static final int K = 4;

    private static long[] randomAgent(final SplittableRandom rnd)
    {
        return new long[] { rnd.nextInt(1, 33) * 500L, rnd.nextInt(1, 65) * 512L, rnd.nextInt(0, 10) * 1000L,
            rnd.nextInt(0, 6) == 0 ? 1 : 0 };
    }

    private static double share(final Allocator a, final long[] allocation)
    {
        double max = 0;
        for (int i = 0; i < K; i++)
        {
            if (a.clusterTotal(i) > 0)
            {
                max = Math.max(max, (double)allocation[i] / a.clusterTotal(i));
            }
        }
        return max;
    }

    @Property(tries = 150)
    void weightedSharesDifferByNoMoreThanOneAgentAfterAFill(@ForAll final long seed,
        @ForAll @IntRange(min = 1, max = 300) final int agentCount,
        @ForAll @IntRange(min = 1, max = 6) final int roleCount,
        @ForAll @IntRange(min = 1, max = 40) final int frameworkCount)
    {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final Allocator allocator = new Allocator(new AllocatorConfig().seed(seed));
        final List<long[]> agents = new ArrayList<>();
        for (int i = 0; i < agentCount; i++)
        {
            final long[] total = randomAgent(rnd);
            agents.add(total);
            allocator.addAgent(i, total);
        }
        final int[] roles = new int[roleCount];
        double minWeight = Double.MAX_VALUE;
        for (int r = 0; r < roleCount; r++)
        {
            roles[r] = allocator.addRole("r" + r);
            final double weight = 1 + rnd.nextInt(4);
            allocator.setWeight(roles[r], weight);
            minWeight = Math.min(minWeight, weight);
        }
        final int[] frameworkRole = new int[frameworkCount];
        for (int f = 0; f < frameworkCount; f++)
        {
            frameworkRole[f] = roles[f < roleCount ? f : rnd.nextInt(roleCount)];
            assertEquals(f, allocator.addFramework(f, frameworkRole[f]));
        }
        final int activeRoles = Math.min(roleCount, frameworkCount);

        final OfferBuffer offers = allocator.fullPass(0);

        assertEquals(agentCount, offers.size(), "every agent is offered once: nothing filters or limits");
        double biggestAgentShare = 0;
        for (final long[] total : agents)
        {
            biggestAgentShare = Math.max(biggestAgentShare, share(allocator, total));
        }
        final double tolerance = 1e-9;
        // Between roles: weighted shares within one agent's share of each other.
        double minRole = Double.MAX_VALUE;
        double maxRole = 0;
        for (int r = 0; r < activeRoles; r++)
        {
            final long[] held = new long[K];
            for (int i = 0; i < K; i++)
            {
                held[i] = allocator.roleAllocated(roles[r], i);
            }
            final double weighted = share(allocator, held) / allocator.weight(roles[r]);
            minRole = Math.min(minRole, weighted);
            maxRole = Math.max(maxRole, weighted);
        }
        assertTrue(maxRole - minRole <= biggestAgentShare / minWeight + tolerance,
            "weighted role shares range " + minRole + ".." + maxRole + " > one agent " + biggestAgentShare);
        // Within each role: framework shares within one agent's share of each other.
        for (int r = 0; r < activeRoles; r++)
        {
            double min = Double.MAX_VALUE;
            double max = 0;
            for (int f = 0; f < frameworkCount; f++)
            {
                if (frameworkRole[f] != roles[r])
                {
                    continue;
                }
                final long[] held = new long[K];
                for (int i = 0; i < K; i++)
                {
                    held[i] = allocator.frameworkAllocated(f, roles[r], i);
                }
                min = Math.min(min, share(allocator, held));
                max = Math.max(max, share(allocator, held));
            }
            assertTrue(max - min <= biggestAgentShare + tolerance,
                "framework shares in role " + r + " range " + min + ".." + max);
        }
    }

    @Property(tries = 150)
    void quotaGuaranteesAreMetBeforeFairShareAndLimitsHold(@ForAll final long seed,
        @ForAll @IntRange(min = 4, max = 200) final int agentCount,
        @ForAll @IntRange(min = 1, max = 5) final int quotaRoles)
    {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final Allocator allocator = new Allocator(new AllocatorConfig().seed(seed));
        final long cpusPerAgent = 4000;
        for (int i = 0; i < agentCount; i++)
        {
            allocator.addAgent(i, new long[] { cpusPerAgent, 8192, 0, 0 });
        }
        // A crowd of fair-share frameworks that would take everything if quota came second.
        final int crowd = allocator.addRole("crowd");
        for (int f = 0; f < 20; f++)
        {
            allocator.addFramework(1000 + f, crowd);
        }
        // Guarantees in whole agents, leaving room: each quota role may overshoot by one agent.
        final int budget = agentCount / (quotaRoles + 1);
        final int[] roles = new int[quotaRoles];
        final long[] guaranteed = new long[quotaRoles];
        final long[] limits = new long[quotaRoles];
        for (int q = 0; q < quotaRoles; q++)
        {
            roles[q] = allocator.addRole("q" + q);
            guaranteed[q] = rnd.nextInt(0, budget + 1) * cpusPerAgent - rnd.nextInt(0, 2) * 500L;
            guaranteed[q] = Math.max(0, guaranteed[q]);
            limits[q] = rnd.nextBoolean() ? Long.MAX_VALUE : guaranteed[q] + rnd.nextInt(0, 3) * 1500L;
            allocator.setQuota(roles[q], new long[] { guaranteed[q], 0, 0, 0 },
                new long[] { limits[q], Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE });
            allocator.addFramework(q, roles[q]);
        }

        allocator.fullPass(0);

        for (int q = 0; q < quotaRoles; q++)
        {
            final long held = allocator.roleAllocated(roles[q], ResourceKinds.CPUS);
            assertTrue(held >= guaranteed[q], "role q" + q + " guaranteed " + guaranteed[q] + " got " + held);
            assertTrue(held <= limits[q], "role q" + q + " limited to " + limits[q] + " got " + held);
        }
        assertTrue(allocator.roleAllocated(crowd, ResourceKinds.CPUS) > 0 || agentCount <= budget * quotaRoles + 1,
            "fair share gets what quota leaves");
    }
}
