package io.corral.allocator;

/**
 * Settings of an {@link Allocator}, with named defaults; {@link #conclude()} validates them all
 * before anything is built and names the bad setting.
 */
public final class AllocatorConfig
{
    /** Mesos's default {@code --min_allocatable_resources=cpus:0.01|mem:32}. */
    public static final long DEFAULT_MIN_CPUS_MILLI = 10;
    public static final long DEFAULT_MIN_MEM_MIB = 32;
    public static final int DEFAULT_AGENT_CAPACITY = 1024;
    public static final int DEFAULT_FRAMEWORK_CAPACITY = 64;
    public static final int DEFAULT_ROLE_CAPACITY = 16;

    private ResourceKinds kinds = ResourceKinds.standard();
    private long seed = 0x5EED;
    private SorterKind sorter = SorterKind.DRF;
    private long[] minAllocatable;
    private int agentCapacity = DEFAULT_AGENT_CAPACITY;
    private int frameworkCapacity = DEFAULT_FRAMEWORK_CAPACITY;
    private int roleCapacity = DEFAULT_ROLE_CAPACITY;
    private boolean concluded;

    public AllocatorConfig kinds(final ResourceKinds kinds)
    {
        this.kinds = kinds;
        return this;
    }

    /** Seed of the agent shuffle and of the random sorter: the same seed gives the same offers. */
    public AllocatorConfig seed(final long seed)
    {
        this.seed = seed;
        return this;
    }

    public AllocatorConfig sorter(final SorterKind sorter)
    {
        this.sorter = sorter;
        return this;
    }

    /**
     * An offer must contain at least one of these amounts (kinds at zero are ignored), so that
     * crumbs are not offered. All zeros: any non-zero amount is offerable.
     */
    public AllocatorConfig minAllocatable(final long[] minAllocatable)
    {
        this.minAllocatable = minAllocatable == null ? null : minAllocatable.clone();
        return this;
    }

    /** Initial table sizes; tables grow by doubling, outside allocation passes. */
    public AllocatorConfig capacity(final int agents, final int frameworks, final int roles)
    {
        this.agentCapacity = agents;
        this.frameworkCapacity = frameworks;
        this.roleCapacity = roles;
        return this;
    }

    public AllocatorConfig conclude()
    {
        if (concluded)
        {
            return this;
        }
        if (kinds == null)
        {
            throw new AllocatorException("kinds must be set");
        }
        if (sorter == null)
        {
            throw new AllocatorException("sorter must be DRF or RANDOM");
        }
        if (minAllocatable == null)
        {
            minAllocatable = kinds.newVector();
            minAllocatable[ResourceKinds.CPUS] = DEFAULT_MIN_CPUS_MILLI;
            minAllocatable[ResourceKinds.MEM] = DEFAULT_MIN_MEM_MIB;
        }
        kinds.validate(minAllocatable, "minAllocatable");
        if (agentCapacity < 1 || frameworkCapacity < 1 || roleCapacity < 1)
        {
            throw new AllocatorException("capacity must be at least 1 for agents, frameworks and roles, got " +
                agentCapacity + "/" + frameworkCapacity + "/" + roleCapacity);
        }
        concluded = true;
        return this;
    }

    public ResourceKinds kinds()
    {
        return kinds;
    }

    public long seed()
    {
        return seed;
    }

    public SorterKind sorter()
    {
        return sorter;
    }

    public long[] minAllocatable()
    {
        return minAllocatable.clone();
    }

    public int agentCapacity()
    {
        return agentCapacity;
    }

    public int frameworkCapacity()
    {
        return frameworkCapacity;
    }

    public int roleCapacity()
    {
        return roleCapacity;
    }
}
