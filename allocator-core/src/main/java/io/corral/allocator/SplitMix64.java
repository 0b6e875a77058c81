package io.corral.allocator;

/**
 * SplitMix64: a tiny, fast, seedable generator. The allocator uses it so that a pass is a pure
 * function of the seed and the pass number, reproducible from a log.
 */
public final class SplitMix64
{
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private long state;

    public SplitMix64(final long seed)
    {
        this.state = seed;
    }

    public void reseed(final long seed)
    {
        this.state = seed;
    }

    public long nextLong()
    {
        state += GOLDEN;
        return mix(state);
    }

    /** Uniform-enough int in [0, bound). */
    public int nextInt(final int bound)
    {
        return (int)((nextLong() >>> 33) % bound);
    }

    /** The SplitMix64 finaliser: a bijective 64-bit mix. */
    public static long mix(final long value)
    {
        long z = value;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The seed of pass {@code pass} of an allocator seeded with {@code seed}. */
    public static long passSeed(final long seed, final long pass)
    {
        return mix(seed + pass * GOLDEN);
    }

    /**
     * Key of a client under the weighted random sorter: an exponential clock with rate
     * {@code weight}, so the smallest key wins with probability proportional to weight.
     */
    public static double randomKey(final long seed, final long pass, final long salt, final long count,
        final double weight)
    {
        final long bits = mix(passSeed(seed, pass) ^ mix(salt * GOLDEN + count));
        final double u = ((bits >>> 11) + 1) * 0x1.0p-53;
        return -StrictMath.log(u) / weight;
    }
}
