package io.corral.allocator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The allocator written the obvious way: maps, full recomputation and sorting on every decision.
 * It implements the same rules as {@link Allocator} (documented in the allocator-core README) and
 * is slow on purpose; property tests require both to make identical offers.
 */
final class ReferenceAllocator implements AllocatorOperations
{
    record Holding(int agent, int framework, int role)
    {
    }

    static final class Agent
    {
        long id;
        long[] total;
        boolean active = true;
        final TreeMap<Integer, long[]> reserved = new TreeMap<>();
    }

    static final class Role
    {
        String name;
        double weight = 1.0;
        long[] guarantee;
        long[] limit;
        long count;
    }

    static final class Framework
    {
        long id;
        List<Integer> roles = new ArrayList<>();
        TreeSet<Integer> suppressed = new TreeSet<>();
        Map<Integer, Long> count = new HashMap<>();
    }

    private final ResourceKinds kinds;
    private final int k;
    private final long seed;
    private final SorterKind sorter;
    private final long[] minAllocatable;

    final TreeMap<Integer, Agent> agents = new TreeMap<>();
    final TreeMap<Integer, Role> roles = new TreeMap<>();
    final TreeMap<Integer, Framework> frameworks = new TreeMap<>();
    final Map<Holding, long[]> holdings = new HashMap<>();
    private final Map<Long, Long> filters = new HashMap<>();
    private final TreeSet<Integer> dirty = new TreeSet<>();
    private boolean allDirty;
    private long pass;
    private final OfferBuffer offers;

    ReferenceAllocator(final AllocatorConfig config)
    {
        config.conclude();
        kinds = config.kinds();
        k = kinds.count();
        seed = config.seed();
        sorter = config.sorter();
        minAllocatable = config.minAllocatable();
        offers = new OfferBuffer(k, 16);
    }

    private static int smallestFree(final Map<Integer, ?> used)
    {
        int slot = 0;
        while (used.containsKey(slot))
        {
            slot++;
        }
        return slot;
    }

    private static AllocatorException reject(final String why)
    {
        return new AllocatorException(why);
    }

    private void validVector(final long[] v)
    {
        if (v == null || v.length != k)
        {
            throw reject("wrong length");
        }
        for (final long x : v)
        {
            if (x < 0)
            {
                throw reject("negative");
            }
        }
    }

    private Agent agent(final int a)
    {
        final Agent agent = agents.get(a);
        if (agent == null)
        {
            throw reject("unknown agent");
        }
        return agent;
    }

    private Role role(final int r)
    {
        final Role role = roles.get(r);
        if (role == null)
        {
            throw reject("unknown role");
        }
        return role;
    }

    private Framework member(final int f, final int r)
    {
        final Framework fw = frameworks.get(f);
        if (fw == null)
        {
            throw reject("unknown framework");
        }
        role(r);
        if (!fw.roles.contains(r))
        {
            throw reject("not subscribed");
        }
        return fw;
    }

    // ------------------------------------------------------------ derived quantities, from scratch

    long[] clusterTotal()
    {
        final long[] sum = new long[k];
        for (final Agent a : agents.values())
        {
            add(sum, a.total, 1);
        }
        return sum;
    }

    long[] held(final Integer agent, final Integer framework, final Integer role)
    {
        final long[] sum = new long[k];
        holdings.forEach((h, v) ->
        {
            if ((agent == null || h.agent == agent) && (framework == null || h.framework == framework) &&
                (role == null || h.role == role))
            {
                add(sum, v, 1);
            }
        });
        return sum;
    }

    private static void add(final long[] into, final long[] v, final long sign)
    {
        for (int i = 0; i < into.length; i++)
        {
            into[i] += sign * v[i];
        }
    }

    private long[] reservedSum(final Agent agent)
    {
        final long[] sum = new long[k];
        agent.reserved.values().forEach(v -> add(sum, v, 1));
        return sum;
    }

    private long[] reservedInUse(final int a, final Agent agent)
    {
        final long[] sum = new long[k];
        agent.reserved.forEach((r, v) ->
        {
            final long[] roleHeld = held(a, null, r);
            for (int i = 0; i < k; i++)
            {
                sum[i] += Math.min(roleHeld[i], v[i]);
            }
        });
        return sum;
    }

    long[] unreservedFree(final int a)
    {
        final Agent agent = agents.get(a);
        final long[] out = agent.total.clone();
        add(out, reservedSum(agent), -1);
        add(out, held(a, null, null), -1);
        add(out, reservedInUse(a, agent), 1);
        return out;
    }

    private long[] reservedFree(final int a, final int r)
    {
        final long[] reserved = agents.get(a).reserved.get(r);
        final long[] out = new long[k];
        if (reserved != null)
        {
            final long[] roleHeld = held(a, null, r);
            for (int i = 0; i < k; i++)
            {
                out[i] = reserved[i] - Math.min(roleHeld[i], reserved[i]);
            }
        }
        return out;
    }

    boolean allocatable(final long[] v)
    {
        boolean anyMinimum = false;
        for (int i = 0; i < k; i++)
        {
            if (minAllocatable[i] > 0)
            {
                anyMinimum = true;
                if (v[i] >= minAllocatable[i])
                {
                    return true;
                }
            }
        }
        if (anyMinimum)
        {
            return false;
        }
        for (final long x : v)
        {
            if (x > 0)
            {
                return true;
            }
        }
        return false;
    }

    boolean offerable(final int a)
    {
        final Agent agent = agents.get(a);
        if (!agent.active)
        {
            return false;
        }
        final long[] free = unreservedFree(a);
        if (allocatable(free))
        {
            return true;
        }
        for (final int r : agent.reserved.keySet())
        {
            final long[] v = free.clone();
            add(v, reservedFree(a, r), 1);
            if (allocatable(v))
            {
                return true;
            }
        }
        return false;
    }

    private double share(final long[] alloc)
    {
        final long[] total = clusterTotal();
        double max = 0;
        for (int i = 0; i < k; i++)
        {
            if (total[i] > 0)
            {
                max = Math.max(max, (double)alloc[i] / (double)total[i]);
            }
        }
        return max;
    }

    private double roleKey(final int r)
    {
        final Role role = roles.get(r);
        if (sorter == SorterKind.RANDOM)
        {
            return SplitMix64.randomKey(seed, pass, AllocatorState.roleSalt(r), role.count, role.weight);
        }
        return share(held(null, null, r)) / role.weight;
    }

    private double frameworkKey(final int f, final int r)
    {
        if (sorter == SorterKind.RANDOM)
        {
            return SplitMix64.randomKey(seed, pass, AllocatorState.memberSalt(f, r),
                frameworks.get(f).count.getOrDefault(r, 0L), 1.0);
        }
        return share(held(null, f, r));
    }

    private boolean active(final int r)
    {
        for (final Framework fw : frameworks.values())
        {
            if (fw.roles.contains(r) && !fw.suppressed.contains(r))
            {
                return true;
            }
        }
        return false;
    }

    private boolean unsatisfied(final int r)
    {
        final long[] held = held(null, null, r);
        final long[] guarantee = roles.get(r).guarantee;
        for (int i = 0; i < k; i++)
        {
            if (held[i] < guarantee[i])
            {
                return true;
            }
        }
        return false;
    }

    private boolean filtered(final int f, final int a, final long nowNs)
    {
        final Long until = filters.get(((long)f << 32) | a);
        return until != null && nowNs < until;
    }

    // ------------------------------------------------------------ operations

    @Override
    public int addAgent(final long agentId, final long[] total)
    {
        validVector(total);
        if (agents.values().stream().anyMatch(a -> a.id == agentId))
        {
            throw reject("duplicate agent");
        }
        final int slot = smallestFree(agents);
        final Agent agent = new Agent();
        agent.id = agentId;
        agent.total = total.clone();
        agents.put(slot, agent);
        dirty.add(slot);
        return slot;
    }

    @Override
    public void updateAgent(final int a, final long[] total)
    {
        final Agent agent = agent(a);
        validVector(total);
        final long[] reserved = reservedSum(agent);
        final long[] unreservedUsed = held(a, null, null);
        add(unreservedUsed, reservedInUse(a, agent), -1);
        for (int i = 0; i < k; i++)
        {
            if (total[i] < reserved[i] || total[i] - reserved[i] < unreservedUsed[i])
            {
                throw reject("shrink below use");
            }
        }
        agent.total = total.clone();
        dirty.add(a);
    }

    @Override
    public void removeAgent(final int a)
    {
        agent(a);
        agents.remove(a);
        holdings.keySet().removeIf(h -> h.agent == a);
        filters.keySet().removeIf(key -> (int)(long)key == a);
    }

    @Override
    public void activateAgent(final int a)
    {
        agent(a).active = true;
        dirty.add(a);
    }

    @Override
    public void deactivateAgent(final int a)
    {
        agent(a).active = false;
    }

    @Override
    public void setReservation(final int a, final int r, final long[] amount)
    {
        final Agent agent = agent(a);
        role(r);
        validVector(amount);
        final TreeMap<Integer, long[]> proposed = new TreeMap<>(agent.reserved);
        if (amount.length > 0 && java.util.Arrays.stream(amount).allMatch(x -> x == 0))
        {
            proposed.remove(r);
        }
        else
        {
            proposed.put(r, amount.clone());
        }
        final long[] reserved = new long[k];
        final long[] inUse = new long[k];
        proposed.forEach((role, v) ->
        {
            add(reserved, v, 1);
            final long[] roleHeld = held(a, null, role);
            for (int i = 0; i < k; i++)
            {
                inUse[i] += Math.min(roleHeld[i], v[i]);
            }
        });
        final long[] allocated = held(a, null, null);
        for (int i = 0; i < k; i++)
        {
            if (reserved[i] > agent.total[i] || allocated[i] - inUse[i] > agent.total[i] - reserved[i])
            {
                throw reject("reservation does not fit");
            }
        }
        agent.reserved.clear();
        agent.reserved.putAll(proposed);
        dirty.add(a);
    }

    @Override
    public int addRole(final String name)
    {
        if (name == null || !name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"))
        {
            throw reject("bad name");
        }
        if (roles.values().stream().anyMatch(r -> r.name.equals(name)))
        {
            throw reject("duplicate role");
        }
        final int slot = smallestFree(roles);
        final Role role = new Role();
        role.name = name;
        role.guarantee = new long[k];
        role.limit = new long[k];
        java.util.Arrays.fill(role.limit, Long.MAX_VALUE);
        roles.put(slot, role);
        return slot;
    }

    @Override
    public void removeRole(final int r)
    {
        role(r);
        if (frameworks.values().stream().anyMatch(f -> f.roles.contains(r)))
        {
            throw reject("role in use");
        }
        if (agents.values().stream().anyMatch(a -> a.reserved.containsKey(r)))
        {
            throw reject("role reserved");
        }
        roles.remove(r);
    }

    @Override
    public void setWeight(final int r, final double weight)
    {
        final Role role = role(r);
        if (!(weight > 0) || Double.isInfinite(weight))
        {
            throw reject("bad weight");
        }
        role.weight = weight;
    }

    @Override
    public void setQuota(final int r, final long[] guarantee, final long[] limit)
    {
        final Role role = role(r);
        validVector(guarantee);
        validVector(limit);
        final long[] total = clusterTotal();
        for (int i = 0; i < k; i++)
        {
            if (limit[i] < guarantee[i])
            {
                throw reject("limit below guarantee");
            }
            long sum = guarantee[i];
            for (final Map.Entry<Integer, Role> other : roles.entrySet())
            {
                if (other.getKey() != r)
                {
                    sum += other.getValue().guarantee[i];
                }
            }
            if (sum > total[i])
            {
                throw reject("guarantees exceed cluster");
            }
        }
        role.guarantee = guarantee.clone();
        role.limit = limit.clone();
        allDirty = true;
    }

    @Override
    public int addFramework(final long frameworkId, final int... roleSlots)
    {
        if (frameworks.values().stream().anyMatch(f -> f.id == frameworkId))
        {
            throw reject("duplicate framework");
        }
        if (roleSlots == null || roleSlots.length == 0)
        {
            throw reject("no roles");
        }
        final TreeSet<Integer> seen = new TreeSet<>();
        for (final int r : roleSlots)
        {
            role(r);
            if (!seen.add(r))
            {
                throw reject("duplicate role");
            }
        }
        final int slot = smallestFree(frameworks);
        final Framework fw = new Framework();
        fw.id = frameworkId;
        for (final int r : roleSlots)
        {
            fw.roles.add(r);
        }
        frameworks.put(slot, fw);
        allDirty = true;
        return slot;
    }

    @Override
    public void removeFramework(final int f)
    {
        if (!frameworks.containsKey(f))
        {
            throw reject("unknown framework");
        }
        holdings.keySet().stream().filter(h -> h.framework == f).forEach(h -> dirty.add(h.agent));
        holdings.keySet().removeIf(h -> h.framework == f);
        filters.keySet().removeIf(key -> (int)(key >>> 32) == f);
        frameworks.remove(f);
    }

    @Override
    public void suppress(final int f, final int r)
    {
        member(f, r).suppressed.add(r);
    }

    @Override
    public void revive(final int f, final int r)
    {
        member(f, r).suppressed.remove(r);
        filters.keySet().removeIf(key -> (int)(key >>> 32) == f);
        allDirty = true;
    }

    @Override
    public void recoverAllocation(final int a, final int f, final int r, final long[] amount)
    {
        agent(a);
        member(f, r);
        validVector(amount);
        if (java.util.Arrays.stream(amount).allMatch(x -> x == 0))
        {
            throw reject("empty recover");
        }
        final long[] available = unreservedFree(a);
        add(available, reservedFree(a, r), 1);
        for (int i = 0; i < k; i++)
        {
            if (amount[i] > available[i])
            {
                throw reject("does not fit");
            }
        }
        hold(a, f, r, amount, 1);
        dirty.add(a);
    }

    private void hold(final int a, final int f, final int r, final long[] amount, final long sign)
    {
        final long[] v = holdings.computeIfAbsent(new Holding(a, f, r), h -> new long[k]);
        add(v, amount, sign);
        if (java.util.Arrays.stream(v).allMatch(x -> x == 0))
        {
            holdings.remove(new Holding(a, f, r));
        }
    }

    @Override
    public void release(final int a, final int f, final int r, final long[] amount)
    {
        checkRelease(a, f, r, amount);
        hold(a, f, r, amount, -1);
        dirty.add(a);
    }

    private void checkRelease(final int a, final int f, final int r, final long[] amount)
    {
        agent(a);
        member(f, r);
        validVector(amount);
        final long[] v = holdings.get(new Holding(a, f, r));
        if (v == null)
        {
            throw reject("holds nothing");
        }
        for (int i = 0; i < k; i++)
        {
            if (amount[i] > v[i])
            {
                throw reject("releases more than held");
            }
        }
    }

    @Override
    public void decline(final int a, final int f, final int r, final long[] amount, final long nowNs,
        final long refuseNs)
    {
        if (refuseNs < 0)
        {
            throw reject("negative refuse");
        }
        checkRelease(a, f, r, amount);
        hold(a, f, r, amount, -1);
        if (refuseNs > 0)
        {
            filters.put(((long)f << 32) | a, nowNs > Long.MAX_VALUE - refuseNs ? Long.MAX_VALUE : nowNs + refuseNs);
        }
        dirty.add(a);
    }

    // ------------------------------------------------------------ the pass

    @Override
    public OfferBuffer fullPass(final long nowNs)
    {
        return pass(nowNs, true, Integer.MAX_VALUE);
    }

    @Override
    public OfferBuffer incrementalPass(final long nowNs)
    {
        return pass(nowNs, false, Integer.MAX_VALUE);
    }

    @Override
    public OfferBuffer pass(final long nowNs, final boolean full, final int maxOffers)
    {
        if (maxOffers < 1)
        {
            throw new AllocatorException("a pass must be allowed at least one offer, got " + maxOffers);
        }
        pass++;
        offers.clear();
        final boolean everyAgent = full || allDirty;
        final List<Integer> candidates = new ArrayList<>();
        for (final int a : agents.keySet())
        {
            if ((everyAgent || dirty.contains(a)) && offerable(a))
            {
                candidates.add(a);
            }
        }
        dirty.clear();
        allDirty = false;

        final SplitMix64 rng = new SplitMix64(SplitMix64.passSeed(seed, pass));
        for (int i = candidates.size() - 1; i > 0; i--)
        {
            final int j = rng.nextInt(i + 1);
            final Integer t = candidates.get(i);
            candidates.set(i, candidates.get(j));
            candidates.set(j, t);
        }
        for (final int a : candidates)
        {
            if (offers.size() >= maxOffers)
            {
                dirty.addAll(candidates); // none has had its fair-share stage
                return offers;
            }
            while (offerable(a) && offerOnce(a, true, nowNs))
            {
                // again with what is left
            }
        }
        for (int i = 0; i < candidates.size(); i++)
        {
            if (offers.size() >= maxOffers)
            {
                dirty.addAll(candidates.subList(i, candidates.size())); // not reached: due next pass
                return offers;
            }
            final int a = candidates.get(i);
            while (offerable(a) && offerOnce(a, false, nowNs))
            {
                // again with what is left
            }
        }
        return offers;
    }

    private boolean offerOnce(final int a, final boolean quotaStage, final long nowNs)
    {
        final List<Integer> order = new ArrayList<>();
        for (final int r : roles.keySet())
        {
            if (active(r) && (!quotaStage || unsatisfied(r)))
            {
                order.add(r);
            }
        }
        order.sort(Comparator.<Integer>comparingDouble(this::roleKey)
            .thenComparingLong(r -> roles.get(r).count)
            .thenComparingInt(r -> r));
        for (final int r : order)
        {
            final Role role = roles.get(r);
            final long[] offer = unreservedFree(a);
            add(offer, reservedFree(a, r), 1);
            final long[] roleHeld = held(null, null, r);
            for (int i = 0; i < k; i++)
            {
                if (role.limit[i] != Long.MAX_VALUE)
                {
                    offer[i] = Math.min(offer[i], Math.max(0, role.limit[i] - roleHeld[i]));
                }
            }
            if (!allocatable(offer))
            {
                continue;
            }
            final List<Integer> members = new ArrayList<>();
            frameworks.forEach((f, fw) ->
            {
                if (fw.roles.contains(r) && !fw.suppressed.contains(r))
                {
                    members.add(f);
                }
            });
            members.sort(Comparator.<Integer>comparingDouble(f -> frameworkKey(f, r))
                .thenComparingLong(f -> frameworks.get(f).count.getOrDefault(r, 0L))
                .thenComparingInt(f -> f));
            for (final int f : members)
            {
                if (filtered(f, a, nowNs))
                {
                    continue;
                }
                role.count++;
                frameworks.get(f).count.merge(r, 1L, Long::sum);
                hold(a, f, r, offer, 1);
                offers.add(a, f, r, offer);
                return true;
            }
        }
        return false;
    }
}
