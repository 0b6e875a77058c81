package io.corral.benchmarks;

import java.util.Locale;

import io.corral.allocator.Allocator;
import io.corral.allocator.AllocatorConfig;
import io.corral.allocator.ResourceKinds;

/**
 * Heap bytes per agent and per framework, measured as the growth of the live heap after full GCs
 * (run with -XX:+UseSerialGC for a steady figure). Run:
 * {@code java -XX:+UseSerialGC -cp benchmarks/target/benchmarks.jar io.corral.benchmarks.AllocatorFootprint}
 */
public final class AllocatorFootprint
{
    private AllocatorFootprint()
    {
    }

    private static long liveHeap()
    {
        final Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++)
        {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    public static void main(final String[] args)
    {
        final int agents = 50_000;
        final int frameworks = 5_000;
        report("pre-sized tables", agents, frameworks, true);
        report("grown from defaults", agents, frameworks, false);
    }

    private static void report(final String what, final int agents, final int frameworks, final boolean presized)
    {
        final long base = liveHeap();
        final AllocatorConfig config = new AllocatorConfig().kinds(ResourceKinds.standard());
        if (presized)
        {
            config.capacity(agents, frameworks, 1);
        }
        final Allocator allocator = new Allocator(config);
        final int role = allocator.addRole("r");
        final long empty = liveHeap();
        for (int a = 0; a < agents; a++)
        {
            allocator.addAgent(a, Clusters.AGENT);
        }
        final long withAgents = liveHeap();
        for (int f = 0; f < frameworks; f++)
        {
            allocator.addFramework(f, role);
        }
        final long withFrameworks = liveHeap();
        allocator.fullPass(0);
        final long allocated = liveHeap();
        System.out.printf(Locale.ROOT, "%-20s everything, after a full pass: %,d B = %.0f B per agent" +
            " (agent columns, id index, and the ledger entry and offer row each offered agent needs)%n",
            what, allocated - base, (double)(allocated - base - (withFrameworks - withAgents)) / agents);
        System.out.printf(Locale.ROOT, "%-20s growth: per agent %.0f B, per framework %.0f B, per offered agent %.0f B" +
            " (empty allocator %,d B)%n", "", (double)(withAgents - empty) / agents,
            (double)(withFrameworks - withAgents) / frameworks, (double)(allocated - withFrameworks) / agents,
            empty - base);
        if (allocator.agentCount() != agents)
        {
            throw new IllegalStateException("lost agents");
        }
    }
}
