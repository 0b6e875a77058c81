package io.corral.master;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import io.corral.allocator.ResourceKinds;
import io.corral.codec.CustomResources;
import io.corral.codec.Protocol;
import io.corral.codec.sbe.ResourcesDecoder;

/**
 * Converts between the wire's resources (the fixed composite for cpus, mem, disk and gpus, plus
 * the custom kinds' {@code name:value} string) and the master's vectors, whose columns are the
 * masters' {@link ResourceKinds}: the standard four, then the custom kinds every master was
 * started with ({@code --resource-kinds}).
 */
public final class ResourceVectors
{
    private static final int STANDARD = 4;

    private final ResourceKinds kinds;

    public ResourceVectors(final ResourceKinds kinds)
    {
        this.kinds = kinds;
    }

    public static ResourceVectors standard()
    {
        return new ResourceVectors(ResourceKinds.standard());
    }

    public ResourceKinds kinds()
    {
        return kinds;
    }

    /** A vector with every custom column set to {@code customValue} (0, or {@code Long.MAX_VALUE} for limits). */
    public long[] vector(final long customValue)
    {
        final long[] v = kinds.newVector();
        java.util.Arrays.fill(v, STANDARD, v.length, customValue);
        return v;
    }

    /**
     * Reads a request's resources.
     *
     * @throws IllegalArgumentException if the custom text is malformed or names a kind the masters
     *     were not started with (the message says how to fix it).
     */
    public long[] read(final ResourcesDecoder fixed, final String custom)
    {
        final long[] v = read(fixed);
        for (final Map.Entry<String, Long> e : CustomResources.parse(custom).entrySet())
        {
            final int kind = kinds.indexOf(e.getKey());
            if (kind < 0)
            {
                throw new IllegalArgumentException(unknownKind(e.getKey()));
            }
            v[kind] = e.getValue();
        }
        return v;
    }

    /**
     * Reads a committed record's resources: custom kinds not given are {@code missing}; kinds this
     * master does not know are left out (the leader refuses them before they reach the log, so
     * they appear only if the masters were started with different {@code --resource-kinds}).
     */
    long[] readCommitted(final ResourcesDecoder fixed, final String custom, final long missing)
    {
        final long[] v = read(fixed);
        java.util.Arrays.fill(v, STANDARD, v.length, missing);
        final SortedMap<String, Long> given;
        try
        {
            given = CustomResources.parse(custom);
        }
        catch (final IllegalArgumentException ex)
        {
            return v;
        }
        for (final Map.Entry<String, Long> e : given.entrySet())
        {
            final int kind = kinds.indexOf(e.getKey());
            if (kind >= 0)
            {
                v[kind] = e.getValue();
            }
        }
        return v;
    }

    private long[] read(final ResourcesDecoder fixed)
    {
        final long[] v = kinds.newVector();
        System.arraycopy(Protocol.resources(fixed), 0, v, 0, STANDARD);
        return v;
    }

    /** The custom columns of {@code v} as wire text, leaving out those equal to {@code omit}. */
    public String custom(final long[] v, final long omit)
    {
        if (v.length <= STANDARD)
        {
            return "";
        }
        final TreeMap<String, Long> map = new TreeMap<>();
        for (int k = STANDARD; k < v.length; k++)
        {
            if (v[k] != omit)
            {
                map.put(kinds.name(k), v[k]);
            }
        }
        return CustomResources.format(map);
    }

    /** The custom columns of {@code v}, leaving out zeros. */
    public String custom(final long[] v)
    {
        return custom(v, 0);
    }

    public String unknownKind(final String name)
    {
        return "resource kind '" + name + "' is unknown to the masters (they know " + kinds +
            "); start every master with --resource-kinds naming it";
    }
}
