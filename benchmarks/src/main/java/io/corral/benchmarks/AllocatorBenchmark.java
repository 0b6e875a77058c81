package io.corral.benchmarks;

import java.util.concurrent.TimeUnit;

import io.corral.allocator.Allocator;
import io.corral.allocator.AllocatorConfig;
import io.corral.allocator.OfferBuffer;
import io.corral.allocator.ResourceKinds;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The allocator's speed, with parameters that mirror Mesos's allocator benchmarks so the figures
 * compare with its published ones. Each benchmark checks in its teardown that it did what it says
 * (every agent offered, nothing offered, one offer), so a fast wrong answer cannot pass for a
 * fast right one.
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g", "-XX:+UseParallelGC" })
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AllocatorBenchmark
{
    /** A cluster where every agent is free at the start of each invocation. */
    @State(Scope.Thread)
    public static class FullCluster
    {
        @Param({ "1000", "10000", "20000", "50000" })
        public int agents;

        @Param({ "100", "1000", "2000", "5000" })
        public int frameworks;

        @Param({ "1", "100" })
        public int roles;

        /** Scalar kinds beyond cpus, mem, disk and gpus (e.g. ssd), offered by every agent. */
        @Param({ "0" })
        public int customKinds;

        Allocator allocator;
        OfferBuffer last;
        long[] scratch;
        long now;

        @Setup(Level.Trial)
        public void build()
        {
            allocator = Clusters.build(agents, frameworks, roles, customKinds);
            scratch = new long[4 + customKinds];
        }

        @Setup(Level.Invocation)
        public void freeEverything()
        {
            if (last != null)
            {
                Clusters.releaseAll(allocator, last, scratch);
            }
            now += 1_000_000;
        }

        @TearDown(Level.Trial)
        public void check()
        {
            if (last == null || last.size() != agents)
            {
                throw new IllegalStateException("a full pass offered " + (last == null ? 0 : last.size()) +
                    " agents of " + agents);
            }
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public OfferBuffer fullPass(final FullCluster c)
    {
        c.last = c.allocator.fullPass(c.now);
        return c.last;
    }

    /** 3000 agents, 3000 roles each with a quota guarantee, one framework each (Mesos's quota benchmark). */
    @State(Scope.Thread)
    public static class QuotaCluster
    {
        static final int SIZE = 3000;

        Allocator allocator;
        OfferBuffer last;
        final long[] scratch = new long[4];
        long now;
        int[] roleSlots;

        @Setup(Level.Trial)
        public void build()
        {
            allocator = new Allocator(new AllocatorConfig().kinds(ResourceKinds.standard()).seed(7)
                .capacity(SIZE, SIZE, SIZE));
            for (int a = 0; a < SIZE; a++)
            {
                allocator.addAgent(a, Clusters.AGENT);
            }
            roleSlots = new int[SIZE];
            final long[] unlimited = { Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE };
            for (int r = 0; r < SIZE; r++)
            {
                roleSlots[r] = allocator.addRole("quota" + r);
                allocator.setQuota(roleSlots[r], new long[] { 1000, 512, 0, 0 }, unlimited);
                allocator.addFramework(r, roleSlots[r]);
            }
        }

        @Setup(Level.Invocation)
        public void freeEverything()
        {
            if (last != null)
            {
                Clusters.releaseAll(allocator, last, scratch);
            }
            now += 1_000_000;
        }

        @TearDown(Level.Trial)
        public void check()
        {
            for (final int r : roleSlots)
            {
                if (allocator.roleAllocated(r, ResourceKinds.CPUS) < 1000)
                {
                    throw new IllegalStateException("quota role " + allocator.roleName(r) + " is not satisfied");
                }
            }
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public OfferBuffer quotaPass(final QuotaCluster c)
    {
        c.last = c.allocator.fullPass(c.now);
        return c.last;
    }

    /** 50k agents, 5k frameworks, and nothing to offer: all offered already, or every framework suppressed. */
    @State(Scope.Thread)
    public static class NothingToOffer
    {
        @Param({ "allOffered", "allSuppressed" })
        public String why;

        Allocator allocator;
        OfferBuffer last;

        @Setup(Level.Trial)
        public void build()
        {
            allocator = Clusters.build(50_000, 5_000, 1);
            if (why.equals("allOffered"))
            {
                if (allocator.fullPass(0).size() != 50_000)
                {
                    throw new IllegalStateException("setup pass did not offer every agent");
                }
            }
            else
            {
                final int role = allocator.roleSlot("role0");
                for (int f = 0; f < 5_000; f++)
                {
                    allocator.suppress(allocator.frameworkSlot(f), role);
                }
            }
        }

        @TearDown(Level.Trial)
        public void check()
        {
            if (last.size() != 0)
            {
                throw new IllegalStateException("an empty pass offered " + last.size());
            }
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public OfferBuffer emptyPass(final NothingToOffer c)
    {
        c.last = c.allocator.fullPass(0);
        return c.last;
    }

    /** 50k agents / 5k frameworks, all offered; each operation frees one agent and decides its offer. */
    @State(Scope.Thread)
    public static class OneAgentFreed
    {
        static final int AGENTS = 50_000;

        Allocator allocator;
        int[] holder;
        int role;
        int cursor;
        long now;
        int offersMade;
        int operations;

        @Setup(Level.Trial)
        public void build()
        {
            allocator = Clusters.build(AGENTS, 5_000, 1);
            role = allocator.roleSlot("role0");
            holder = new int[AGENTS];
            final OfferBuffer offers = allocator.fullPass(0);
            for (int i = 0; i < offers.size(); i++)
            {
                holder[offers.agent(i)] = offers.framework(i);
            }
        }

        @TearDown(Level.Trial)
        public void check()
        {
            if (offersMade != operations)
            {
                throw new IllegalStateException(operations + " agents freed but " + offersMade + " offers made");
            }
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int incremental(final OneAgentFreed c)
    {
        final int agent = c.cursor;
        c.cursor = agent + 1 == OneAgentFreed.AGENTS ? 0 : agent + 1;
        c.allocator.release(agent, c.holder[agent], c.role, Clusters.AGENT);
        final OfferBuffer offers = c.allocator.incrementalPass(c.now += 1000);
        c.operations++;
        if (offers.size() == 1)
        {
            c.holder[agent] = offers.framework(0);
            c.offersMade++;
        }
        return offers.size();
    }
}
