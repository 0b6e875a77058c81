package io.corral.client;

import java.util.Locale;

/** Scalar resources, fixed point: cpus in milli-CPUs, mem and disk in MiB, gpus whole. */
public record Resources(long cpusMilli, long memMiB, long diskMiB, long gpus)
{
    public Resources
    {
        if (cpusMilli < 0 || memMiB < 0 || diskMiB < 0 || gpus < 0)
        {
            throw new IllegalArgumentException("resources must not be negative: cpus(milli)=" + cpusMilli +
                " mem=" + memMiB + " disk=" + diskMiB + " gpus=" + gpus);
        }
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

    public boolean fits(final Resources other)
    {
        return other.cpusMilli <= cpusMilli && other.memMiB <= memMiB && other.diskMiB <= diskMiB &&
            other.gpus <= gpus;
    }

    @Override
    public String toString()
    {
        return String.format(Locale.ROOT, "cpus:%s mem:%d disk:%d gpus:%d",
            (cpusMilli % 1000 == 0 ? Long.toString(cpusMilli / 1000) : Double.toString(cpusMilli / 1000.0)),
            memMiB, diskMiB, gpus);
    }
}
