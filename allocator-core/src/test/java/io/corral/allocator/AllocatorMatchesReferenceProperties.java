package io.corral.allocator;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Random operation sequences through the fast allocator and the naive reference: the same calls
 * must be accepted or rejected alike, and every pass must make the same offers for the same seed.
 */
class AllocatorMatchesReferenceProperties
{
    @Provide
    Arbitrary<List<OpDriver.Op>> operations()
    {
        // Weighted so that sequences build a cluster before they tear it down.
        final Arbitrary<Integer> type = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(12, Arbitraries.integers().between(0, 2)),
            net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(3, 5)),
            net.jqwik.api.Tuple.of(4, Arbitraries.of(6)),
            net.jqwik.api.Tuple.of(1, Arbitraries.of(7)),
            net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(8, 10)),
            net.jqwik.api.Tuple.of(5, Arbitraries.of(11)),
            net.jqwik.api.Tuple.of(1, Arbitraries.of(12)),
            net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(13, 15)),
            net.jqwik.api.Tuple.of(8, Arbitraries.integers().between(16, 17)),
            net.jqwik.api.Tuple.of(10, Arbitraries.integers().between(18, 19)));
        final Arbitrary<Integer> pick = Arbitraries.integers().between(0, 9);
        final Arbitrary<OpDriver.Op> op = Combinators.combine(type, pick, pick, pick, Arbitraries.longs())
            .as(OpDriver.Op::new);
        return op.list().ofMinSize(10).ofMaxSize(160);
    }

    @Property(tries = 300)
    void drfMakesTheSameOffersAsTheReference(@ForAll("operations") final List<OpDriver.Op> ops,
        @ForAll final long seed)
    {
        run(new AllocatorConfig().seed(seed).sorter(SorterKind.DRF), ops);
    }

    @Property(tries = 120)
    void randomSorterMakesTheSameOffersAsTheReference(@ForAll("operations") final List<OpDriver.Op> ops,
        @ForAll final long seed)
    {
        run(new AllocatorConfig().seed(seed).sorter(SorterKind.RANDOM), ops);
    }

    @Property(tries = 120)
    void customKindsAndNoMinimumMakeTheSameOffers(@ForAll("operations") final List<OpDriver.Op> ops,
        @ForAll final long seed)
    {
        final ResourceKinds kinds = ResourceKinds.withCustom("ssd");
        run(new AllocatorConfig().kinds(kinds).seed(seed).minAllocatable(kinds.newVector()), ops);
    }

    private static void run(final AllocatorConfig config, final List<OpDriver.Op> ops)
    {
        final OpDriver driver = new OpDriver(config);
        driver.bootstrap(config.seed());
        driver.run(ops);
        Statistics.label("offers").collect(driver.offersSeen == 0 ? "none" : driver.offersSeen < 5 ? "1-4" : "5+");
        Statistics.label("rejections").collect(driver.rejections == 0 ? "none" : "some");
    }
}
