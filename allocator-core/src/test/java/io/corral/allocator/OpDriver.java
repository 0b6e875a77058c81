package io.corral.allocator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives the fast allocator and the reference through the same operations and fails at the
 * first difference: a call accepted by one and rejected by the other, different slots, different
 * offers, or different state afterwards.
 */
final class OpDriver
{
    /** One random operation: what to do, which existing things to pick, and a seed for its values. */
    record Op(int type, int x, int y, int z, long values)
    {
    }

    static final int OP_TYPES = 20;
    static final long SECOND = 1_000_000_000L;

    final Allocator fast;
    final ReferenceAllocator reference;
    final ResourceKinds kinds;
    final int k;
    long now = SECOND;
    long nextAgentId = 100;
    long nextFrameworkId = 500;
    int nextRoleName;
    final List<String> log = new ArrayList<>();
    int passes;
    int offersSeen;
    int rejections;

    OpDriver(final AllocatorConfig config)
    {
        fast = new Allocator(config);
        reference = new ReferenceAllocator(config);
        kinds = config.kinds();
        k = kinds.count();
    }

    /** A small starting cluster (roles, agents, frameworks) drawn from the seed, so most runs make offers. */
    void bootstrap(final long seed)
    {
        final SplittableRandom rnd = new SplittableRandom(seed);
        final int roleCount = rnd.nextInt(1, 4);
        for (int i = 0; i < roleCount; i++)
        {
            apply(new Op(6, 0, 0, 0, rnd.nextLong()));
        }
        final int agentCount = rnd.nextInt(1, 9);
        for (int i = 0; i < agentCount; i++)
        {
            apply(new Op(0, 0, 0, 0, rnd.nextLong()));
        }
        final int frameworkCount = rnd.nextInt(1, 5);
        for (int i = 0; i < frameworkCount; i++)
        {
            apply(new Op(11, 0, 0, 0, rnd.nextLong()));
        }
        compareState();
    }

    void run(final List<Op> ops)
    {
        for (final Op op : ops)
        {
            apply(op);
            compareState();
        }
    }

    private List<Integer> liveAgents()
    {
        return new ArrayList<>(reference.agents.keySet());
    }

    private List<Integer> liveRoles()
    {
        return new ArrayList<>(reference.roles.keySet());
    }

    private List<Integer> liveFrameworks()
    {
        return new ArrayList<>(reference.frameworks.keySet());
    }

    /** Picks an existing slot, or (x == 9) one that does not exist, so errors are exercised. */
    private static int pick(final List<Integer> live, final int x)
    {
        if (live.isEmpty() || x == 9)
        {
            return 1000 + x;
        }
        return live.get(x % live.size());
    }

    private long[] vector(final SplittableRandom rnd, final int scale)
    {
        final long[] v = new long[k];
        v[ResourceKinds.CPUS] = rnd.nextInt(0, 9) * 500L * scale;
        v[ResourceKinds.MEM] = rnd.nextInt(0, 9) * 256L * scale;
        v[ResourceKinds.DISK] = rnd.nextInt(0, 4) * 1000L * scale;
        v[ResourceKinds.GPUS] = rnd.nextInt(0, 5) == 0 ? rnd.nextInt(1, 3) : 0;
        for (int i = 4; i < k; i++)
        {
            v[i] = rnd.nextInt(0, 3) * scale;
        }
        if (rnd.nextInt(0, 40) == 0)
        {
            v[rnd.nextInt(0, k)] = -1;
        }
        return v;
    }

    private long[] fraction(final SplittableRandom rnd, final long[] held)
    {
        final long[] v = new long[k];
        final int mode = rnd.nextInt(0, 4);
        for (int i = 0; i < k; i++)
        {
            v[i] = switch (mode)
            {
                case 0, 1 -> held[i];
                case 2 -> held[i] / 2;
                default -> held[i] + 1;
            };
        }
        return v;
    }

    private long[] held(final int a, final int f, final int r)
    {
        final long[] v = reference.holdings.get(new ReferenceAllocator.Holding(a, f, r));
        return v == null ? new long[k] : v.clone();
    }

    void apply(final Op op)
    {
        final SplittableRandom rnd = new SplittableRandom(op.values());
        now += (op.z() % 3) * SECOND / 2;
        final List<Integer> agents = liveAgents();
        final List<Integer> roles = liveRoles();
        final List<Integer> frameworks = liveFrameworks();
        final int a = pick(agents, op.x());
        final int r = pick(roles, op.y());
        final int f = pick(frameworks, op.z());
        switch (op.type())
        {
            case 0, 1, 2 ->
            {
                final long id = op.x() == 8 && !agents.isEmpty() ? reference.agents.get(agents.get(0)).id : nextAgentId++;
                final long[] total = vector(rnd, 4);
                both("addAgent " + id + " " + Arrays.toString(total),
                    () -> fast.addAgent(id, total), () -> reference.addAgent(id, total));
            }
            case 3 ->
            {
                final long[] total = vector(rnd, 4);
                both("updateAgent " + a + " " + Arrays.toString(total),
                    () -> fast.updateAgent(a, total), () -> reference.updateAgent(a, total));
            }
            case 4 -> both("removeAgent " + a, () -> fast.removeAgent(a), () -> reference.removeAgent(a));
            case 5 ->
            {
                if (op.values() % 2 == 0)
                {
                    both("deactivate " + a, () -> fast.deactivateAgent(a), () -> reference.deactivateAgent(a));
                }
                else
                {
                    both("activate " + a, () -> fast.activateAgent(a), () -> reference.activateAgent(a));
                }
            }
            case 6 ->
            {
                final String name = op.x() == 9 ? "-bad" : op.x() == 8 && !roles.isEmpty() ?
                    reference.roles.get(roles.get(0)).name : "role" + nextRoleName++;
                both("addRole " + name, () -> fast.addRole(name), () -> reference.addRole(name));
            }
            case 7 -> both("removeRole " + r, () -> fast.removeRole(r), () -> reference.removeRole(r));
            case 8 ->
            {
                final double w = new double[] { 0.5, 1, 2, 3, 0, 1.5 }[rnd.nextInt(0, 6)];
                both("setWeight " + r + " " + w, () -> fast.setWeight(r, w), () -> reference.setWeight(r, w));
            }
            case 9 ->
            {
                final long[] guarantee = vector(rnd, 1);
                final long[] limit = rnd.nextBoolean() ? unlimited() : vector(rnd, 2);
                if (rnd.nextInt(0, 4) == 0)
                {
                    Arrays.fill(guarantee, 0);
                }
                both("setQuota " + r + " " + Arrays.toString(guarantee) + " " + Arrays.toString(limit),
                    () -> fast.setQuota(r, guarantee, limit), () -> reference.setQuota(r, guarantee, limit));
            }
            case 10 ->
            {
                final long[] amount = rnd.nextInt(0, 4) == 0 ? new long[k] : vector(rnd, 1);
                both("setReservation " + a + " " + r + " " + Arrays.toString(amount),
                    () -> fast.setReservation(a, r, amount), () -> reference.setReservation(a, r, amount));
            }
            case 11 ->
            {
                final long id = op.x() == 8 && !frameworks.isEmpty() ?
                    reference.frameworks.get(frameworks.get(0)).id : nextFrameworkId++;
                final int[] subscribed = roles.isEmpty() ? new int[] { 1000 } :
                    rnd.ints(rnd.nextInt(1, 3), 0, roles.size()).map(roles::get).toArray();
                both("addFramework " + id + " " + Arrays.toString(subscribed),
                    () -> fast.addFramework(id, subscribed), () -> reference.addFramework(id, subscribed));
            }
            case 12 -> both("removeFramework " + f, () -> fast.removeFramework(f), () -> reference.removeFramework(f));
            case 13, 14 ->
            {
                final int role = subscribedRole(f, op.y(), r);
                if (op.type() == 13)
                {
                    both("suppress " + f + " " + role, () -> fast.suppress(f, role), () -> reference.suppress(f, role));
                }
                else
                {
                    both("revive " + f + " " + role, () -> fast.revive(f, role), () -> reference.revive(f, role));
                }
            }
            case 15 ->
            {
                final int role = subscribedRole(f, op.y(), r);
                final long[] amount = vector(rnd, 1);
                both("recover " + a + " " + f + " " + role + " " + Arrays.toString(amount),
                    () -> fast.recoverAllocation(a, f, role, amount),
                    () -> reference.recoverAllocation(a, f, role, amount));
            }
            case 16, 17 ->
            {
                final List<ReferenceAllocator.Holding> holdings = new ArrayList<>(reference.holdings.keySet());
                holdings.sort((h1, h2) -> h1.toString().compareTo(h2.toString()));
                final ReferenceAllocator.Holding h = holdings.isEmpty() || op.x() == 9 ?
                    new ReferenceAllocator.Holding(a, f, r) : holdings.get(op.x() % holdings.size());
                final long[] amount = fraction(rnd, held(h.agent(), h.framework(), h.role()));
                if (op.type() == 16)
                {
                    both("release " + h + " " + Arrays.toString(amount),
                        () -> fast.release(h.agent(), h.framework(), h.role(), amount),
                        () -> reference.release(h.agent(), h.framework(), h.role(), amount));
                }
                else
                {
                    final long refuse = new long[] { 0, SECOND, 5 * SECOND, -1 }[rnd.nextInt(0, 4)];
                    both("decline " + h + " " + Arrays.toString(amount) + " refuse " + refuse,
                        () -> fast.decline(h.agent(), h.framework(), h.role(), amount, now, refuse),
                        () -> reference.decline(h.agent(), h.framework(), h.role(), amount, now, refuse));
                }
            }
            case 18, 19 ->
            {
                final boolean full = op.type() == 18;
                // A third of the passes stop early, as a master pacing its offers makes them.
                final int cap = rnd.nextInt(0, 3) == 0 ? rnd.nextInt(1, 4) : Integer.MAX_VALUE;
                final OfferBuffer mine = cap != Integer.MAX_VALUE ? fast.pass(now, full, cap) :
                    full ? fast.fullPass(now) : fast.incrementalPass(now);
                final OfferBuffer theirs = reference.pass(now, full, cap);
                final String what = (full ? "fullPass" : "incrementalPass") +
                    (cap != Integer.MAX_VALUE ? " of at most " + cap + " offers" : "") + " at " + now;
                log.add(what + " -> " + theirs);
                assertEquals(theirs.toString(), mine.toString(), "offers differ after:\n" + String.join("\n", log));
                passes++;
                offersSeen += mine.size();
            }
            default -> throw new IllegalStateException("op type " + op.type());
        }
    }

    private int subscribedRole(final int f, final int y, final int fallback)
    {
        final ReferenceAllocator.Framework fw = reference.frameworks.get(f);
        if (fw == null || y == 9)
        {
            return fallback;
        }
        return fw.roles.get(y % fw.roles.size());
    }

    private long[] unlimited()
    {
        final long[] v = new long[k];
        Arrays.fill(v, Long.MAX_VALUE);
        return v;
    }

    private interface Call
    {
        Object run();
    }

    private interface VoidCall
    {
        void run();
    }

    private void both(final String what, final VoidCall mine, final VoidCall theirs)
    {
        both(what, () ->
        {
            mine.run();
            return null;
        }, () ->
        {
            theirs.run();
            return null;
        });
    }

    private void both(final String what, final Call mine, final Call theirs)
    {
        Object mineResult = null;
        Object theirResult = null;
        AllocatorException mineError = null;
        AllocatorException theirError = null;
        try
        {
            theirResult = theirs.run();
        }
        catch (final AllocatorException ex)
        {
            theirError = ex;
        }
        try
        {
            mineResult = mine.run();
        }
        catch (final AllocatorException ex)
        {
            mineError = ex;
            assertTrue(ex.getMessage() != null && !ex.getMessage().isBlank(), "rejection without a reason");
        }
        log.add(what + (theirError != null ? " -> rejected (" + theirError.getMessage() + ")" : " -> " + theirResult));
        if ((mineError == null) != (theirError == null))
        {
            fail("fast " + (mineError == null ? "accepted" : "rejected: " + mineError.getMessage()) +
                " but reference " + (theirError == null ? "accepted" : "rejected: " + theirError.getMessage()) +
                " after:\n" + String.join("\n", log));
        }
        if (mineError != null)
        {
            rejections++;
        }
        assertEquals(theirResult, mineResult, "different result for " + what);
    }

    /** Everything observable, from each implementation, must be the same. */
    void compareState()
    {
        final String theirs = describeReference();
        final String mine = describe(fast);
        assertEquals(theirs, mine, "state differs after:\n" + String.join("\n", log));
        checkReservationsStayWithTheirRole();
    }

    private String describeReference()
    {
        final StringBuilder sb = new StringBuilder();
        reference.agents.forEach((a, agent) ->
        {
            sb.append("agent ").append(a).append(" id=").append(agent.id).append(" total=")
                .append(Arrays.toString(agent.total)).append(" allocated=")
                .append(Arrays.toString(reference.held(a, null, null))).append(" active=").append(agent.active)
                .append(" offerable=").append(reference.offerable(a)).append('\n');
            agent.reserved.forEach((r, v) -> sb.append("  reserved ").append(r).append(Arrays.toString(v)).append('\n'));
        });
        reference.roles.forEach((r, role) -> sb.append("role ").append(r).append(' ').append(role.name)
            .append(" allocated=").append(Arrays.toString(reference.held(null, null, r))).append('\n'));
        reference.frameworks.forEach((f, fw) ->
        {
            sb.append("framework ").append(f).append(" id=").append(fw.id).append(" roles=").append(fw.roles).append('\n');
            for (final int r : fw.roles)
            {
                sb.append("  in ").append(r).append(" suppressed=").append(fw.suppressed.contains(r))
                    .append(" allocated=").append(Arrays.toString(reference.held(null, f, r))).append('\n');
                for (final int a : reference.agents.keySet())
                {
                    final long[] v = reference.held(a, f, r);
                    if (Arrays.stream(v).anyMatch(x -> x != 0))
                    {
                        sb.append("    on ").append(a).append(Arrays.toString(v)).append('\n');
                    }
                }
            }
        });
        return sb.toString();
    }

    /** Everything observable about an allocator's state, as text: equal text, equal state. */
    static String describe(final Allocator fast)
    {
        final int k = fast.kinds().count();
        final StringBuilder sb = new StringBuilder();
        for (int a = 0; a < 200; a++)
        {
            if (!fast.hasAgent(a))
            {
                continue;
            }
            final long[] total = new long[k];
            final long[] allocated = new long[k];
            for (int i = 0; i < k; i++)
            {
                total[i] = fast.total(a, i);
                allocated[i] = fast.allocated(a, i);
            }
            sb.append("agent ").append(a).append(" id=").append(fast.agentId(a)).append(" total=")
                .append(Arrays.toString(total)).append(" allocated=").append(Arrays.toString(allocated))
                .append(" active=").append(fast.isActive(a)).append(" offerable=").append(fast.isOfferable(a))
                .append('\n');
            for (int r = 0; r < 200; r++)
            {
                if (fast.hasRole(r) && reservedVector(fast, a, r) != null)
                {
                    sb.append("  reserved ").append(r).append(Arrays.toString(reservedVector(fast, a, r))).append('\n');
                }
            }
        }
        for (int r = 0; r < 200; r++)
        {
            if (fast.hasRole(r))
            {
                final long[] v = new long[k];
                for (int i = 0; i < k; i++)
                {
                    v[i] = fast.roleAllocated(r, i);
                }
                sb.append("role ").append(r).append(' ').append(fast.roleName(r)).append(" allocated=")
                    .append(Arrays.toString(v)).append('\n');
            }
        }
        for (int f = 0; f < 200; f++)
        {
            if (!fast.hasFramework(f))
            {
                continue;
            }
            final int[] subscribed = fast.frameworkRoles(f);
            sb.append("framework ").append(f).append(" id=").append(fast.frameworkId(f)).append(" roles=")
                .append(Arrays.toString(subscribed)).append('\n');
            for (final int r : subscribed)
            {
                final long[] v = new long[k];
                for (int i = 0; i < k; i++)
                {
                    v[i] = fast.frameworkAllocated(f, r, i);
                }
                sb.append("  in ").append(r).append(" suppressed=").append(fast.isSuppressed(f, r))
                    .append(" allocated=").append(Arrays.toString(v)).append('\n');
                for (int a = 0; a < 200; a++)
                {
                    if (!fast.hasAgent(a))
                    {
                        continue;
                    }
                    final long[] on = new long[k];
                    boolean any = false;
                    for (int i = 0; i < k; i++)
                    {
                        on[i] = fast.allocation(a, f, r, i);
                        any |= on[i] != 0;
                    }
                    if (any)
                    {
                        sb.append("    on ").append(a).append(Arrays.toString(on)).append('\n');
                    }
                }
            }
        }
        return sb.toString();
    }

    private static long[] reservedVector(final Allocator fast, final int a, final int r)
    {
        final int k = fast.kinds().count();
        final long[] v = new long[k];
        boolean any = false;
        for (int i = 0; i < k; i++)
        {
            v[i] = fast.reserved(a, r, i);
            any |= v[i] != 0;
        }
        return any ? v : null;
    }

    /** Other roles never eat into a reservation: unreserved use stays within the unreserved pool. */
    private void checkReservationsStayWithTheirRole()
    {
        reference.agents.forEach((a, agent) ->
        {
            for (int i = 0; i < k; i++)
            {
                long reservedTotal = 0;
                long unreservedUse = 0;
                for (final int r : reference.roles.keySet())
                {
                    final long[] reserved = agent.reserved.get(r);
                    final long roleHeld = reference.held(a, null, r)[i];
                    final long res = reserved == null ? 0 : reserved[i];
                    reservedTotal += res;
                    unreservedUse += Math.max(0, roleHeld - res);
                }
                assertTrue(unreservedUse <= agent.total[i] - reservedTotal,
                    "agent " + a + " " + kinds.name(i) + ": unreserved use " + unreservedUse + " exceeds pool " +
                        (agent.total[i] - reservedTotal) + " after:\n" + String.join("\n", log));
            }
        });
    }
}
