package io.corral.allocator;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllocatorTest
{
    private static final long SECOND = 1_000_000_000L;
    private static final int CPUS = ResourceKinds.CPUS;
    private static final int MEM = ResourceKinds.MEM;

    private final Allocator allocator = new Allocator(new AllocatorConfig().seed(42));

    private static long[] res(final double cpus, final long mem)
    {
        final long[] v = new long[4];
        v[CPUS] = Math.round(cpus * 1000);
        v[MEM] = mem;
        return v;
    }

    private static long[] unlimited()
    {
        return new long[] { Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE };
    }

    private int agent(final long id, final double cpus, final long mem)
    {
        return allocator.addAgent(id, res(cpus, mem));
    }

    /** Number of offers per framework slot in the buffer. */
    private static Map<Integer, Integer> offersPerFramework(final OfferBuffer offers)
    {
        final Map<Integer, Integer> count = new HashMap<>();
        for (int i = 0; i < offers.size(); i++)
        {
            count.merge(offers.framework(i), 1, Integer::sum);
        }
        return count;
    }

    private void assertRejectedAndUnchanged(final Runnable call, final String messagePart)
    {
        final String before = OpDriver.describe(allocator);
        final AllocatorException ex = assertThrows(AllocatorException.class, call::run);
        assertTrue(ex.getMessage().contains(messagePart), () -> "message '" + ex.getMessage() + "' lacks '" +
            messagePart + "'");
        assertEquals(before, OpDriver.describe(allocator), "state changed by a rejected call");
    }

    // ---------------------------------------------------------------- offers

    @Test
    void shouldOfferAWholeAgentToTheOnlyFramework()
    {
        final int a = agent(1, 4, 8192);
        final int role = allocator.addRole("web");
        final int f = allocator.addFramework(10, role);

        final OfferBuffer offers = allocator.fullPass(0);

        assertEquals(1, offers.size());
        assertEquals(a, offers.agent(0));
        assertEquals(f, offers.framework(0));
        assertEquals(role, offers.role(0));
        assertEquals(4000, offers.amount(0, CPUS));
        assertEquals(8192, offers.amount(0, MEM));
        assertEquals(4000, allocator.allocation(a, f, role, CPUS));
        assertFalse(allocator.isOfferable(a));
    }

    @Test
    void shouldSplitAgentsEvenlyBetweenEqualFrameworks()
    {
        for (int i = 0; i < 10; i++)
        {
            agent(i, 2, 4096);
        }
        final int role = allocator.addRole("batch");
        final int f1 = allocator.addFramework(1, role);
        final int f2 = allocator.addFramework(2, role);

        final Map<Integer, Integer> perFramework = offersPerFramework(allocator.fullPass(0));

        assertEquals(5, perFramework.get(f1));
        assertEquals(5, perFramework.get(f2));
    }

    @Test
    void shouldGiveRolesResourcesInProportionToTheirWeights()
    {
        for (int i = 0; i < 12; i++)
        {
            agent(i, 1, 1024);
        }
        final int light = allocator.addRole("light");
        final int heavy = allocator.addRole("heavy");
        allocator.setWeight(heavy, 2.0);
        final int f1 = allocator.addFramework(1, light);
        final int f2 = allocator.addFramework(2, heavy);

        final Map<Integer, Integer> perFramework = offersPerFramework(allocator.fullPass(0));

        assertEquals(4, perFramework.get(f1));
        assertEquals(8, perFramework.get(f2));
    }

    @Test
    void shouldOfferTheFrameworkWithTheLowestDominantShareFirst()
    {
        final int a1 = agent(1, 10, 10_000);
        final int role = allocator.addRole("r");
        final int cpuHeavy = allocator.addFramework(1, role);
        final int memHeavy = allocator.addFramework(2, role);
        // cpuHeavy already holds 60 % of cpus (dominant share 0.6); memHeavy 20 % of mem.
        allocator.recoverAllocation(a1, cpuHeavy, role, res(6, 1000));
        allocator.recoverAllocation(a1, memHeavy, role, res(1, 2000));
        final int a2 = agent(2, 0.5, 64);

        final OfferBuffer offers = allocator.fullPass(0);

        assertEquals(2, offers.size(), offers.toString());
        assertEquals(memHeavy, offers.framework(0), "the lower dominant share (0.2 < 0.57) gets the first offer");
        assertTrue(offers.agent(0) == a1 || offers.agent(0) == a2);
    }

    @Test
    void shouldNotOfferCrumbsBelowTheMinimumAllocatable()
    {
        final int a = allocator.addAgent(1, new long[] { 5, 16, 1000, 0 });
        final int role = allocator.addRole("r");
        allocator.addFramework(1, role);

        assertEquals(0, allocator.fullPass(0).size());
        assertFalse(allocator.isOfferable(a));
    }

    @Test
    void shouldOfferMemoryAloneWhenItMeetsTheMinimum()
    {
        allocator.addAgent(1, new long[] { 0, 64, 0, 0 });
        final int role = allocator.addRole("r");
        allocator.addFramework(1, role);

        final OfferBuffer offers = allocator.fullPass(0);

        assertEquals(1, offers.size());
        assertEquals(64, offers.amount(0, MEM));
    }

    @Test
    void shouldBeDeterministicForTheSameSeed()
    {
        final String first = offersOf(7, SorterKind.DRF);
        assertEquals(first, offersOf(7, SorterKind.DRF));
        assertNotEquals(first, offersOf(8, SorterKind.DRF), "a different seed shuffles agents differently");
        assertEquals(offersOf(7, SorterKind.RANDOM), offersOf(7, SorterKind.RANDOM));
    }

    private static String offersOf(final long seed, final SorterKind sorter)
    {
        final Allocator a = new Allocator(new AllocatorConfig().seed(seed).sorter(sorter));
        for (int i = 0; i < 30; i++)
        {
            a.addAgent(i, res(1 + i % 3, 1024));
        }
        final int role = a.addRole("r");
        for (int f = 0; f < 5; f++)
        {
            a.addFramework(f, role);
        }
        return a.fullPass(0).toString();
    }

    @Test
    void randomSorterShouldFavourHeavierRoles()
    {
        final Allocator random = new Allocator(new AllocatorConfig().seed(3).sorter(SorterKind.RANDOM));
        final int a = random.addAgent(1, res(1, 1024));
        final int light = random.addRole("light");
        final int heavy = random.addRole("heavy");
        random.setWeight(heavy, 4.0);
        final int f1 = random.addFramework(1, light);
        final int f2 = random.addFramework(2, heavy);
        final int[] wins = new int[2];
        for (int pass = 0; pass < 400; pass++)
        {
            final OfferBuffer offers = random.fullPass(pass);
            assertEquals(1, offers.size());
            final int f = offers.framework(0);
            wins[f == f1 ? 0 : 1]++;
            random.release(a, f, f == f1 ? light : heavy, res(1, 1024));
        }
        // Weight 4 vs 1: the heavy role should win about 80 % of single-agent passes.
        assertTrue(wins[1] > 260 && wins[1] < 360, "heavy role won " + wins[1] + " of 400");
        assertEquals(f2, f2);
    }

    // ---------------------------------------------------------------- suppress, revive, decline

    @Test
    void shouldNotOfferToASuppressedRoleUntilRevived()
    {
        agent(1, 2, 2048);
        final int role = allocator.addRole("r");
        final int f = allocator.addFramework(1, role);
        allocator.suppress(f, role);
        allocator.suppress(f, role);

        assertEquals(0, allocator.fullPass(0).size());
        assertTrue(allocator.isSuppressed(f, role));

        allocator.revive(f, role);
        assertEquals(1, allocator.incrementalPass(0).size(), "revive makes every agent a candidate again");
    }

    @Test
    void shouldOfferADeclinedAgentToTheNextFrameworkAndBackAfterTheFilterExpires()
    {
        final int a = agent(1, 2, 2048);
        final int role = allocator.addRole("r");
        allocator.addFramework(1, role);
        allocator.addFramework(2, role);
        final OfferBuffer first = allocator.fullPass(0);
        final int declining = first.framework(0);
        allocator.decline(a, declining, role, res(2, 2048), 0, 5 * SECOND);

        final OfferBuffer second = allocator.incrementalPass(SECOND);
        assertEquals(1, second.size());
        assertNotEquals(declining, second.framework(0));
        final int other = second.framework(0);
        allocator.decline(a, other, role, res(2, 2048), SECOND, 60 * SECOND);

        assertEquals(0, allocator.incrementalPass(2 * SECOND).size(), "both frameworks filter the agent");
        assertEquals(0, allocator.fullPass(4 * SECOND).size(), "first filter still in force at 4 s");
        final OfferBuffer third = allocator.fullPass(5 * SECOND);
        assertEquals(1, third.size());
        assertEquals(declining, third.framework(0), "filter expired at 5 s");
    }

    @Test
    void shouldClearDeclineFiltersWhenAFrameworkRevives()
    {
        final int a = agent(1, 2, 2048);
        final int role = allocator.addRole("r");
        final int f = allocator.addFramework(1, role);
        allocator.fullPass(0);
        allocator.decline(a, f, role, res(2, 2048), 0, 3600 * SECOND);
        assertEquals(0, allocator.incrementalPass(SECOND).size());
        assertEquals(1, allocator.filterCount());

        allocator.revive(f, role);

        assertEquals(0, allocator.filterCount());
        assertEquals(1, allocator.incrementalPass(2 * SECOND).size());
    }

    @Test
    void declineWithoutRefuseSecondsShouldLeaveNoFilter()
    {
        final int a = agent(1, 2, 2048);
        final int role = allocator.addRole("r");
        final int f = allocator.addFramework(1, role);
        allocator.fullPass(0);
        allocator.decline(a, f, role, res(2, 2048), 0, 0);

        assertEquals(0, allocator.filterCount());
        assertEquals(1, allocator.incrementalPass(0).size());
    }

    // ---------------------------------------------------------------- passes

    @Test
    void incrementalPassShouldOfferOnlyAgentsWhoseResourcesChanged()
    {
        final int role = allocator.addRole("r");
        final int f = allocator.addFramework(1, role);
        final int a1 = agent(1, 2, 2048);
        agent(2, 2, 2048);
        allocator.deactivateAgent(a1);
        assertEquals(1, allocator.fullPass(0).size());

        allocator.activateAgent(a1);
        final OfferBuffer offers = allocator.incrementalPass(0);
        assertEquals(1, offers.size());
        assertEquals(a1, offers.agent(0));

        allocator.release(a1, f, role, res(1, 1024));
        final OfferBuffer again = allocator.incrementalPass(0);
        assertEquals(1, again.size());
        assertEquals(a1, again.agent(0));
        assertEquals(1000, again.amount(0, CPUS));
        assertEquals(0, allocator.incrementalPass(0).size(), "nothing changed since");
    }

    @Test
    void aPassWithNothingToOfferShouldMakeNoOffers()
    {
        agent(1, 2, 2048);
        final int role = allocator.addRole("r");
        final int f = allocator.addFramework(1, role);
        assertEquals(1, allocator.fullPass(0).size());
        assertEquals(0, allocator.fullPass(0).size(), "everything is already offered");

        allocator.release(allocator.agentSlot(1), f, role, res(2, 2048));
        allocator.suppress(f, role);
        assertEquals(0, allocator.fullPass(0).size(), "every framework is suppressed");
        assertEquals(3, allocator.passCount());
    }

    @Test
    void shouldNotOfferADeactivatedAgent()
    {
        final int a = agent(1, 2, 2048);
        final int role = allocator.addRole("r");
        allocator.addFramework(1, role);
        allocator.deactivateAgent(a);

        assertEquals(0, allocator.fullPass(0).size());
        assertFalse(allocator.isActive(a));
    }

    // ---------------------------------------------------------------- quota and reservations

    @Test
    void shouldSatisfyQuotaGuaranteesBeforeFairShare()
    {
        for (int i = 0; i < 4; i++)
        {
            agent(i, 4, 4096);
        }
        final int plain = allocator.addRole("plain");
        final int guaranteed = allocator.addRole("guaranteed");
        // "plain" already holds nothing but has ten frameworks competing; "guaranteed" is owed 3 agents.
        for (int f = 0; f < 10; f++)
        {
            allocator.addFramework(100 + f, plain);
        }
        final int g = allocator.addFramework(1, guaranteed);
        allocator.setQuota(guaranteed, res(12, 12288), unlimited());

        allocator.fullPass(0);

        assertEquals(12_000, allocator.frameworkAllocated(g, guaranteed, CPUS));
        assertEquals(4_000, allocator.roleAllocated(plain, CPUS));
    }

    @Test
    void shouldNeverOfferARoleMoreThanItsQuotaLimit()
    {
        agent(1, 8, 8192);
        agent(2, 8, 8192);
        final int capped = allocator.addRole("capped");
        final int f = allocator.addFramework(1, capped);
        allocator.setQuota(capped, res(0, 0), new long[] { 3000, 4096, Long.MAX_VALUE, Long.MAX_VALUE });

        final OfferBuffer offers = allocator.fullPass(0);

        assertEquals(1, offers.size(), "one agent fills the limit; the other holds nothing allowed");
        assertEquals(3000, offers.amount(0, CPUS));
        assertEquals(4096, offers.amount(0, MEM));
        assertEquals(3000, allocator.frameworkAllocated(f, capped, CPUS));
        assertEquals(0, offers.amount(0, ResourceKinds.DISK), "agents here have no disk");
    }

    @Test
    void shouldStillOfferKindsThatHaveNoLimit()
    {
        agent(1, 8, 8192);
        agent(2, 8, 8192);
        final int capped = allocator.addRole("capped");
        allocator.setQuota(capped, res(0, 0), new long[] { 3000, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE });

        final OfferBuffer offers = allocator.fullPass(0);

        assertEquals(0, offers.size(), "no framework yet");
        allocator.addFramework(1, capped);
        final OfferBuffer later = allocator.incrementalPass(0);
        assertEquals(2, later.size(), "the second agent still has memory, which is not limited");
        assertEquals(3000, later.amount(0, CPUS) + later.amount(1, CPUS));
        assertEquals(8192, later.amount(1, MEM));
    }

    @Test
    void shouldOfferReservedResourcesOnlyToTheirRole()
    {
        final int a = agent(1, 4, 4096);
        final int owner = allocator.addRole("owner");
        final int other = allocator.addRole("other");
        allocator.setReservation(a, owner, res(3, 3072));
        final int o = allocator.addFramework(2, other);

        final OfferBuffer offers = allocator.fullPass(0);
        assertEquals(1, offers.size());
        assertEquals(o, offers.framework(0));
        assertEquals(1000, offers.amount(0, CPUS), "only the unreserved part");
        assertEquals(1024, offers.amount(0, MEM));

        final int ow = allocator.addFramework(1, owner);
        final OfferBuffer later = allocator.incrementalPass(0);
        assertEquals(1, later.size());
        assertEquals(ow, later.framework(0));
        assertEquals(3000, later.amount(0, CPUS));
        assertEquals(3, allocator.reserved(a, owner, CPUS) / 1000);
    }

    @Test
    void shouldUseAReservationBeforeUnreservedResources()
    {
        final int a = agent(1, 4, 4096);
        final int owner = allocator.addRole("owner");
        final int other = allocator.addRole("other");
        allocator.setReservation(a, owner, res(2, 2048));
        final int ow = allocator.addFramework(1, owner);
        allocator.recoverAllocation(a, ow, owner, res(1, 1024));
        final int o = allocator.addFramework(2, other);

        final OfferBuffer offers = allocator.fullPass(0);

        // owner holds 1 of its 2 reserved: the 2 unreserved are still free for "other".
        int toOther = -1;
        for (int i = 0; i < offers.size(); i++)
        {
            if (offers.framework(i) == o)
            {
                toOther = i;
            }
        }
        assertTrue(toOther >= 0, offers.toString());
        assertEquals(2000, offers.amount(toOther, CPUS));
    }

    // ---------------------------------------------------------------- lifecycle

    @Test
    void shouldCountRecoveredAllocationsAndNotOfferThemAgain()
    {
        final int a = agent(1, 4, 4096);
        final int role = allocator.addRole("r");
        final int f = allocator.addFramework(1, role);
        allocator.recoverAllocation(a, f, role, res(3, 3072));

        final OfferBuffer offers = allocator.fullPass(0);

        assertEquals(1, offers.size());
        assertEquals(1000, offers.amount(0, CPUS));
        assertEquals(4000, allocator.allocated(a, CPUS));
    }

    @Test
    void shouldReturnAFrameworksAllocationsWhenItIsRemoved()
    {
        final int a = agent(1, 4, 4096);
        final int role = allocator.addRole("r");
        final int f1 = allocator.addFramework(1, role);
        allocator.fullPass(0);
        assertEquals(4000, allocator.allocated(a, CPUS));

        allocator.removeFramework(f1);
        assertEquals(0, allocator.allocated(a, CPUS));
        assertEquals(0, allocator.roleAllocated(role, CPUS));
        final int f2 = allocator.addFramework(2, role);
        assertEquals(f1, f2, "the freed slot is reused");
        assertEquals(1, allocator.incrementalPass(0).size());
    }

    @Test
    void shouldForgetAnAgentsAllocationsWhenItIsRemoved()
    {
        final int a1 = agent(1, 4, 4096);
        agent(2, 4, 4096);
        final int role = allocator.addRole("r");
        final int f = allocator.addFramework(1, role);
        allocator.fullPass(0);
        assertEquals(8000, allocator.frameworkAllocated(f, role, CPUS));

        allocator.removeAgent(a1);

        assertEquals(4000, allocator.frameworkAllocated(f, role, CPUS));
        assertEquals(4000, allocator.clusterTotal(CPUS));
        assertEquals(-1, allocator.agentSlot(1));
        assertEquals(a1, agent(3, 1, 1024), "the freed slot is reused");
        assertEquals(2, allocator.agentCount());
        assertTrue(allocator.hasAgent(a1));
    }

    @Test
    void shouldGrowPastItsInitialCapacity()
    {
        final Allocator small = new Allocator(new AllocatorConfig().capacity(2, 1, 1));
        final int[] roles = new int[5];
        for (int r = 0; r < roles.length; r++)
        {
            roles[r] = small.addRole("r" + r);
        }
        for (int f = 0; f < 20; f++)
        {
            small.addFramework(f, roles[f % roles.length]);
        }
        for (int i = 0; i < 300; i++)
        {
            small.addAgent(i, res(1, 1024));
        }
        assertEquals(300, small.fullPass(0).size());
        assertEquals(300, small.agentCount());
    }

    @Test
    void shouldShrinkAndGrowAnAgent()
    {
        final int a = agent(1, 4, 4096);
        final int role = allocator.addRole("r");
        final int f = allocator.addFramework(1, role);
        allocator.recoverAllocation(a, f, role, res(1, 1024));

        allocator.updateAgent(a, res(2, 2048));
        final OfferBuffer offers = allocator.incrementalPass(0);
        assertEquals(1000, offers.amount(0, CPUS));
        assertEquals(2000, allocator.clusterTotal(CPUS));
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void shouldRejectBadAgentInputAndChangeNothing()
    {
        final int a = agent(1, 4, 4096);
        final int role = allocator.addRole("r");
        final int f = allocator.addFramework(1, role);
        allocator.recoverAllocation(a, f, role, res(3, 3072));

        assertRejectedAndUnchanged(() -> agent(1, 1, 1), "already registered");
        assertRejectedAndUnchanged(() -> allocator.addAgent(2, new long[] { -1, 0, 0, 0 }), "negative cpus");
        assertRejectedAndUnchanged(() -> allocator.addAgent(2, new long[] { 1, 2 }), "must have 4 values");
        assertRejectedAndUnchanged(() -> allocator.updateAgent(a, res(2, 4096)), "cannot shrink cpus");
        assertRejectedAndUnchanged(() -> allocator.removeAgent(77), "unknown agent slot 77");
        assertRejectedAndUnchanged(() -> allocator.activateAgent(-1), "unknown agent slot");
        assertRejectedAndUnchanged(() -> allocator.setReservation(a, role, res(5, 0)), "reservations would total");
    }

    @Test
    void shouldRejectBadAllocationInputAndChangeNothing()
    {
        final int a = agent(1, 4, 4096);
        final int role = allocator.addRole("r");
        final int other = allocator.addRole("other");
        final int f = allocator.addFramework(1, role);
        allocator.fullPass(0);

        assertRejectedAndUnchanged(() -> allocator.release(a, f, role, res(5, 0)), "holds only 4000");
        assertRejectedAndUnchanged(() -> allocator.release(a, f, other, res(1, 0)), "not subscribed to role other");
        assertRejectedAndUnchanged(() -> allocator.release(a, 9, role, res(1, 0)), "unknown framework slot 9");
        assertRejectedAndUnchanged(() -> allocator.decline(a, f, role, res(1, 0), 0, -5), "must not be negative");
        assertRejectedAndUnchanged(() -> allocator.recoverAllocation(a, f, role, res(1, 0)), "only 0 is free");
        assertRejectedAndUnchanged(() -> allocator.recoverAllocation(a, f, role, res(0, 0)), "is empty");
        final int b = agent(2, 1, 1024);
        final int g = allocator.addFramework(2, other);
        assertRejectedAndUnchanged(() -> allocator.release(b, g, other, res(1, 0)), "holds nothing on agent 2");
    }

    @Test
    void shouldRejectBadRoleAndFrameworkInputAndChangeNothing()
    {
        agent(1, 4, 4096);
        final int role = allocator.addRole("r");
        final int f = allocator.addFramework(1, role);

        assertRejectedAndUnchanged(() -> allocator.addRole("r"), "already exists");
        assertRejectedAndUnchanged(() -> allocator.addRole(""), "is invalid");
        assertRejectedAndUnchanged(() -> allocator.setWeight(role, 0), "positive finite");
        assertRejectedAndUnchanged(() -> allocator.setWeight(role, Double.NaN), "positive finite");
        assertRejectedAndUnchanged(() -> allocator.setQuota(role, res(5, 0), unlimited()), "the cluster has 4");
        assertRejectedAndUnchanged(() -> allocator.setQuota(role, res(2, 0), res(1, 0)), "below its guarantee");
        assertRejectedAndUnchanged(() -> allocator.removeRole(role), "still has 1 framework");
        assertRejectedAndUnchanged(() -> allocator.addFramework(1, role), "already registered");
        assertRejectedAndUnchanged(() -> allocator.addFramework(2), "at least one role");
        assertRejectedAndUnchanged(() -> allocator.addFramework(2, role, role), "twice");
        assertRejectedAndUnchanged(() -> allocator.addFramework(2, 42), "unknown role slot 42");
        assertRejectedAndUnchanged(() -> allocator.suppress(f, 42), "unknown role slot 42");
        assertRejectedAndUnchanged(() -> allocator.removeFramework(42), "unknown framework slot 42");
    }

    @Test
    void shouldRejectQuotaGuaranteesThatTogetherExceedTheCluster()
    {
        agent(1, 4, 4096);
        final int r1 = allocator.addRole("a");
        final int r2 = allocator.addRole("b");
        allocator.setQuota(r1, res(3, 0), unlimited());

        assertRejectedAndUnchanged(() -> allocator.setQuota(r2, res(2, 0), unlimited()), "guarantees would total cpus 5 but the cluster has 4");
        allocator.setQuota(r1, res(1, 0), unlimited());
        allocator.setQuota(r2, res(2, 0), unlimited());
        assertEquals(2000, allocator.guarantee(r2, CPUS));
    }

    @Test
    void shouldRemoveAnUnusedRoleAndReuseItsSlot()
    {
        final int a = agent(1, 4, 4096);
        final int r = allocator.addRole("gone");
        allocator.setReservation(a, r, res(1, 0));
        assertRejectedAndUnchanged(() -> allocator.removeRole(r), "still has reservations");
        allocator.setReservation(a, r, res(0, 0));

        allocator.removeRole(r);

        assertEquals(-1, allocator.roleSlot("gone"));
        assertEquals(r, allocator.addRole("new"));
        assertEquals(1.0, allocator.weight(r));
        assertEquals(Long.MAX_VALUE, allocator.limit(r, CPUS));
    }

    @Test
    void configShouldNameTheBadSetting()
    {
        final AllocatorException ex = assertThrows(AllocatorException.class,
            () -> new AllocatorConfig().minAllocatable(new long[] { 1 }).conclude());
        assertTrue(ex.getMessage().startsWith("minAllocatable must have 4 values"), ex.getMessage());
        assertThrows(AllocatorException.class, () -> new AllocatorConfig().capacity(0, 1, 1).conclude());
    }
}
