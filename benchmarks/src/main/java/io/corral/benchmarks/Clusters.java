package io.corral.benchmarks;

import io.corral.allocator.Allocator;
import io.corral.allocator.AllocatorConfig;
import io.corral.allocator.OfferBuffer;
import io.corral.allocator.ResourceKinds;

/**
 * Clusters shaped like Mesos's allocator benchmarks (HierarchicalAllocator_BENCHMARK_Test):
 * identical agents, frameworks spread round-robin over roles.
 */
final class Clusters
{
    /** Each agent: cpus:2;mem:1024;disk:1024, as in Mesos's benchmark agents. */
    static final long[] AGENT = { 2000, 1024, 1024, 0 };

    private Clusters()
    {
    }

    static Allocator build(final int agents, final int frameworks, final int roles)
    {
        return build(agents, frameworks, roles, 0);
    }

    /**
     * As above, with {@code customKinds} more scalar kinds (as agents started with
     * {@code --resources 'ssd:100;...'} would offer): 100 of each on every agent.
     */
    static Allocator build(final int agents, final int frameworks, final int roles, final int customKinds)
    {
        final String[] custom = new String[customKinds];
        for (int k = 0; k < customKinds; k++)
        {
            custom[k] = "custom" + k;
        }
        final long[] agent = java.util.Arrays.copyOf(AGENT, AGENT.length + customKinds);
        java.util.Arrays.fill(agent, AGENT.length, agent.length, 100);
        final Allocator allocator = new Allocator(new AllocatorConfig()
            .kinds(ResourceKinds.withCustom(custom))
            .seed(20261121L)
            .capacity(agents, frameworks, roles));
        final int[] roleSlots = new int[roles];
        for (int r = 0; r < roles; r++)
        {
            roleSlots[r] = allocator.addRole("role" + r);
        }
        for (int f = 0; f < frameworks; f++)
        {
            allocator.addFramework(f, roleSlots[f % roles]);
        }
        for (int a = 0; a < agents; a++)
        {
            allocator.addAgent(a, agent);
        }
        return allocator;
    }

    /** Gives back everything the last pass offered, without allocating. */
    static void releaseAll(final Allocator allocator, final OfferBuffer offers, final long[] scratch)
    {
        for (int i = 0; i < offers.size(); i++)
        {
            offers.amounts(i, scratch);
            allocator.release(offers.agent(i), offers.framework(i), offers.role(i), scratch);
        }
    }
}
