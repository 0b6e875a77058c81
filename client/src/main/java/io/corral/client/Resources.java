package io.corral.client;

import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import io.corral.codec.CustomResources;

/**
 * Scalar resources, fixed point: cpus in milli-CPUs, mem and disk in MiB, gpus whole, and custom
 * kinds the cluster's agents offer (ssd, fpga, ...) in whole units, by name.
 */
public record Resources(long cpusMilli, long memMiB, long diskMiB, long gpus, SortedMap<String, Long> custom)
{
    public Resources
    {
        if (cpusMilli < 0 || memMiB < 0 || diskMiB < 0 || gpus < 0)
        {
            throw new IllegalArgumentException("resources must not be negative: cpus(milli)=" + cpusMilli +
                " mem=" + memMiB + " disk=" + diskMiB + " gpus=" + gpus);
        }
        final TreeMap<String, Long> copy = new TreeMap<>();
        for (final Map.Entry<String, Long> e : (custom == null ? Map.<String, Long>of() : custom).entrySet())
        {
            final String problem = CustomResources.nameProblem(e.getKey());
            if (problem != null)
            {
                throw new IllegalArgumentException(problem);
            }
            if (e.getValue() == null || e.getValue() < 0)
            {
                throw new IllegalArgumentException("resource " + e.getKey() + " must not be negative: " + e.getValue());
            }
            if (e.getValue() > 0)
            {
                copy.put(e.getKey(), e.getValue());
            }
        }
        custom = java.util.Collections.unmodifiableSortedMap(copy);
    }

    public Resources(final long cpusMilli, final long memMiB, final long diskMiB, final long gpus)
    {
        this(cpusMilli, memMiB, diskMiB, gpus, CustomResources.NONE);
    }

    /** {@code cpus} may be fractional (0.1 = 100 milli-CPUs). */
    public static Resources of(final double cpus, final long memMiB)
    {
        if (!(cpus >= 0) || Double.isInfinite(cpus))
        {
            throw new IllegalArgumentException("cpus must be a non-negative number, got " + cpus);
        }
        return new Resources(Math.round(cpus * 1000), memMiB, 0, 0);
    }

    /** These resources plus {@code amount} of a custom kind, e.g. {@code with("ssd", 100)}. */
    public Resources with(final String kind, final long amount)
    {
        final TreeMap<String, Long> more = new TreeMap<>(custom);
        more.put(kind, amount);
        return new Resources(cpusMilli, memMiB, diskMiB, gpus, more);
    }

    /** The amount of a custom kind (0 if none). */
    public long custom(final String kind)
    {
        return custom.getOrDefault(kind, 0L);
    }

    public boolean fits(final Resources other)
    {
        if (other.cpusMilli > cpusMilli || other.memMiB > memMiB || other.diskMiB > diskMiB || other.gpus > gpus)
        {
            return false;
        }
        for (final Map.Entry<String, Long> e : other.custom.entrySet())
        {
            if (e.getValue() > custom(e.getKey()))
            {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "cpus:%s mem:%d disk:%d gpus:%d",
            (cpusMilli % 1000 == 0 ? Long.toString(cpusMilli / 1000) : Double.toString(cpusMilli / 1000.0)),
            memMiB, diskMiB, gpus));
        custom.forEach((name, value) -> sb.append(' ').append(name).append(':').append(value));
        return sb.toString();
    }
}
